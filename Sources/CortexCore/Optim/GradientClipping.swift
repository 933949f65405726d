// Gradient clipping: by global norm (torch.nn.utils.clip_grad_norm_) and by value.
import CortexEngine

/// Scales all gradients together so their global p-norm is at most `maxNorm`, and returns the norm
/// before clipping as a 0-d tensor (as torch.nn.utils.clip_grad_norm_; read it with `.item()` when
/// needed — the clipping itself reads nothing back from the device). As in PyTorch, the scale is
/// maxNorm/(norm + 1e-6), applied only when below 1.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float, normType: Float = 2) -> Tensor {
    require(maxNorm >= 0, "clip_grad_norm: max norm must be non-negative, got \(maxNorm)")
    require(normType > 0, "clip_grad_norm: norm type must be positive, got \(normType)")
    let grads = parameters.compactMap(\.grad).map { $0.contiguousStorage() }
    guard let first = grads.first else { return Tensor(0) }
    let norm = first.makeOutput([])
    first.backend.gradientNorm(grads.map(\.operand), normType: normType, into: norm.operand)
    first.backend.clipGradients(grads.map(\.operand), maxNorm: maxNorm, norm: norm.operand)
    // A gradient that was not contiguous was clipped in a copy: write it back.
    for (p, g) in zip(parameters.filter { $0.grad != nil }, grads) where p.grad !== g { p.grad!.assign(g) }
    return norm
}

/// Clamps every gradient element to [−clipValue, clipValue].
public func clipGradValue(_ parameters: [Tensor], clipValue: Float) {
    require(clipValue >= 0, "clip_grad_value: clip value must be non-negative, got \(clipValue)")
    noGrad {
        for g in parameters.compactMap(\.grad) { g.assign(g.clamped(min: -clipValue, max: clipValue)) }
    }
}
