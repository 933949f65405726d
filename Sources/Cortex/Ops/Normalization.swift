// Normalisation layers' functions: batch_norm (training with running statistics, and eval),
// layer_norm, group_norm. Written as compositions of differentiable ops, so their gradients are
// exactly the chain rule through mean and variance.
import CortexEngine

/// Normalises (x − mean)/√(var + eps) over `axes` with biased variance.
private func standardize(_ x: Tensor, axes: [Int], eps: Float) -> (normalized: Tensor, mean: Tensor, variance: Tensor) {
    let mean = x.mean(dims: axes, keepDim: true)
    let centred = x - mean
    let variance = centred.square().mean(dims: axes, keepDim: true)
    return (centred * (variance + eps).rsqrt(), mean, variance)
}

/// Per-channel scale and shift for (N, C, …) activations.
private func channelAffine(_ x: Tensor, weight: Tensor?, bias: Tensor?, op: String) -> Tensor {
    let channels = x.shape[1]
    let view = [1, channels] + Array(repeating: 1, count: x.rank - 2)
    var y = x
    if let weight {
        require(weight.shape == [channels], "\(op): weight shape \(weight.shape) should be [\(channels)]")
        y = y * weight.reshaped(view)
    }
    if let bias {
        require(bias.shape == [channels], "\(op): bias shape \(bias.shape) should be [\(channels)]")
        y = y + bias.reshaped(view)
    }
    return y
}

/// Batch normalisation over (N, C) or (N, C, …) input, as torch.nn.functional.batch_norm.
/// In training the batch statistics normalise and `runningMean`/`runningVar` (if given) are updated
/// in place with `momentum` (the running variance uses the unbiased estimate); in eval the running
/// statistics normalise.
public func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
                      training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
    let op = "batch_norm"
    input.requireFloat(op)
    require(input.rank >= 2, "\(op): input must be (N, C, …), got shape \(input.shape)")
    let channels = input.shape[1]
    let axes = [0] + Array(2..<input.rank)
    let view = [1, channels] + Array(repeating: 1, count: input.rank - 2)
    for (name, stat) in [("running mean", runningMean), ("running var", runningVar)] {
        if let stat { require(stat.shape == [channels], "\(op): \(name) shape \(stat.shape) should be [\(channels)]") }
    }
    let normalized: Tensor
    if training {
        let perChannel = axes.map { input.shape[$0] }.reduce(1, *)
        require(perChannel > 1, "\(op): expected more than 1 value per channel when training, got input shape \(input.shape)")
        let (xhat, mean, variance) = standardize(input, axes: axes, eps: eps)
        normalized = xhat
        noGrad {
            if let runningMean {
                runningMean.assign(runningMean * (1 - momentum) + mean.reshaped([channels]).detach() * momentum)
            }
            if let runningVar {
                let unbiased = variance.reshaped([channels]).detach() * (Float(perChannel) / Float(perChannel - 1))
                runningVar.assign(runningVar * (1 - momentum) + unbiased * momentum)
            }
        }
    } else {
        guard let runningMean, let runningVar else { fatalError("\(op): eval mode needs running mean and variance") }
        normalized = (input - runningMean.reshaped(view)) * (runningVar.reshaped(view) + eps).rsqrt()
    }
    return channelAffine(normalized, weight: weight, bias: bias, op: op)
}

/// Layer normalisation over the trailing `normalizedShape` axes, as torch.nn.functional.layer_norm.
public func layerNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                      eps: Float = 1e-5) -> Tensor {
    let op = "layer_norm"
    input.requireFloat(op)
    let k = normalizedShape.count
    require(k >= 1 && input.rank >= k && Array(input.shape.suffix(k)) == normalizedShape,
                 "\(op): input shape \(input.shape) does not end in normalized shape \(normalizedShape)")
    var y = standardize(input, axes: Array((input.rank - k)..<input.rank), eps: eps).normalized
    if let weight {
        require(weight.shape == normalizedShape, "\(op): weight shape \(weight.shape) should be \(normalizedShape)")
        y = y * weight
    }
    if let bias {
        require(bias.shape == normalizedShape, "\(op): bias shape \(bias.shape) should be \(normalizedShape)")
        y = y + bias
    }
    return y
}

/// Group normalisation: channels split into `numGroups` groups, each normalised over its channels
/// and spatial positions per sample, then a per-channel affine; as torch.nn.functional.group_norm.
public func groupNorm(_ input: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
    let op = "group_norm"
    input.requireFloat(op)
    require(input.rank >= 2, "\(op): input must be (N, C, …), got shape \(input.shape)")
    require(numGroups > 0 && input.shape[1] % numGroups == 0,
                 "\(op): \(numGroups) groups do not divide \(input.shape[1]) channels (input shape \(input.shape))")
    let grouped = input.reshaped([input.shape[0], numGroups, -1])
    let normalized = standardize(grouped, axes: [2], eps: eps).normalized.reshaped(input.shape)
    return channelAffine(normalized, weight: weight, bias: bias, op: op)
}

extension Tensor {
    /// Overwrites this tensor's values with `source`'s (same shape), outside autograd — used for
    /// running statistics and optimiser updates.
    public func assign(_ source: Tensor) {
        require(source.shape == shape, "assign: source shape \(source.shape) differs from \(shape)")
        let converted = source.dtype == dtype ? source : source.to(dtype)
        converted.copyValues(into: self)
    }
}
