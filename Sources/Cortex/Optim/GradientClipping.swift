// Gradient clipping: by global norm (torch.nn.utils.clip_grad_norm_) and by value.
import CortexEngine
import Foundation

/// Scales all gradients together so their global p-norm is at most `maxNorm`, and returns the norm
/// before clipping. As in PyTorch, the scale is maxNorm/(norm + 1e-6), applied only when below 1.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float, normType: Float = 2) -> Float {
    require(maxNorm >= 0, "clip_grad_norm: max norm must be non-negative, got \(maxNorm)")
    require(normType > 0, "clip_grad_norm: norm type must be positive, got \(normType)")
    let grads = parameters.compactMap(\.grad)
    if grads.isEmpty { return 0 }
    // Per-tensor norms with tensor reductions (pairwise sums, split over the cores), combined in Double.
    let norm: Float = noGrad {
        if normType.isInfinite { return grads.map { $0.abs().amax().item() }.max() ?? 0 }
        let total = grads.reduce(0.0) { sum, g in
            let magnitudes = g.abs()
            let powered = normType == 2 ? magnitudes * magnitudes : normType == 1 ? magnitudes : magnitudes.pow(normType)
            return sum + Double(powered.sum().item())
        }
        return Float(pow(total, 1 / Double(normType)))
    }
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        noGrad { for g in grads { g.assign(g * scale) } }
    }
    return norm
}

/// Clamps every gradient element to [−clipValue, clipValue].
public func clipGradValue(_ parameters: [Tensor], clipValue: Float) {
    require(clipValue >= 0, "clip_grad_value: clip value must be non-negative, got \(clipValue)")
    noGrad {
        for g in parameters.compactMap(\.grad) { g.assign(g.clamped(min: -clipValue, max: clipValue)) }
    }
}
