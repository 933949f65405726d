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
    var total = 0.0
    for g in grads {
        for v in g.scalars {
            let a = Double(abs(v))
            total = normType.isInfinite ? max(total, a) : total + pow(a, Double(normType))
        }
    }
    let norm = Float(normType.isInfinite ? total : pow(total, 1 / Double(normType)))
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
