// Normalisation layers' functions: batch_norm (training with running statistics, and eval) and
// layer_norm as fused kernels with their own backward; group_norm as a composition of
// differentiable ops, so its gradient is exactly the chain rule through mean and variance.
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
///
/// One fused kernel per direction: statistics, normalisation and the affine transform in two passes
/// forward, and dx from two per-channel sums backward, instead of a dozen element-wise ops.
public func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
                      training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
    let op = "batch_norm"
    let (batch, channels, plane) = batchNormLayout(op, input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias)
    let perChannel = batch * plane
    let x = input.contiguousStorage(), backend = input.backend
    // The statistics stay on the device: the kernels read them where they are.
    let mean: Tensor, variance: Tensor
    if training {
        require(perChannel > 1, "\(op): expected more than 1 value per channel when training, got input shape \(input.shape)")
        mean = input.makeOutput([channels])
        variance = input.makeOutput([channels])
        backend.batchNormStatistics(x.operand, batch: batch, channels: channels, plane: plane, mean: mean.operand,
                                    variance: variance.operand)
        noGrad {
            let unbiasedScale = Float(perChannel) / Float(perChannel - 1)
            if let runningMean { runningMean.assign(runningMean * (1 - momentum) + mean * momentum) }
            if let runningVar { runningVar.assign(runningVar * (1 - momentum) + (variance * unbiasedScale) * momentum) }
        }
    } else {
        guard let runningMean, let runningVar else { fatalError("\(op): eval mode needs running mean and variance") }
        mean = runningMean.detach().contiguousStorage()
        variance = runningVar.detach().contiguousStorage()
    }
    let gamma = weight?.detach().contiguousStorage(), beta = bias?.detach().contiguousStorage()
    let y = input.makeOutput(input.shape)
    backend.batchNorm(x.operand, mean: mean.operand, variance: variance.operand, eps: eps, weight: gamma?.operand, bias: beta?.operand,
                      batch: batch, plane: plane, into: y.operand)
    let inputs = [input] + [weight, bias].compactMap { $0 }
    return y.recordingGrad(op, attributes: ["eps": .float(eps), "training": .bool(training)], inputs: inputs) { g in
        let gc = g.contiguousStorage()
        let dx = gc.makeOutput(input.shape), dGamma = gc.makeOutput([channels]), dBeta = gc.makeOutput([channels])
        gc.backend.batchNormBackward(gradient: gc.operand, input: x.operand, mean: mean.operand, variance: variance.operand, eps: eps,
                                     weight: gamma?.operand, batch: batch, plane: plane, batchStatistics: training,
                                     inputGradient: dx.operand, weightGradient: dGamma.operand, biasGradient: dBeta.operand)
        var grads: [Tensor?] = [input.requiresGrad ? dx : nil]
        if let weight { grads.append(weight.requiresGrad ? dGamma : nil) }
        if let bias { grads.append(bias.requiresGrad ? dBeta : nil) }
        return grads
    }
}

/// A batch norm's input (N, C, …) seen as `batch` × `channels` × `plane`, after checking that it is float and that
/// every per-channel tensor given has C values (a programmer error stops naming `op` and the shapes).
func batchNormLayout(_ op: String, _ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?,
                     bias: Tensor?) -> (batch: Int, channels: Int, plane: Int) {
    input.requireFloat(op)
    require(input.rank >= 2, "\(op): input must be (N, C, …), got shape \(input.shape)")
    let channels = input.shape[1]
    for (name, t) in [("running mean", runningMean), ("running var", runningVar), ("weight", weight), ("bias", bias)] {
        if let t { require(t.shape == [channels], "\(op): \(name) shape \(t.shape) should be [\(channels)]") }
    }
    return (input.shape[0], channels, input.shape.dropFirst(2).reduce(1, *))
}

/// Layer normalisation over the trailing `normalizedShape` axes, as torch.nn.functional.layer_norm.
/// A fused kernel: each row's statistics, normalisation and affine in two passes forward; backward
/// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·γ, one row at a time.
public func layerNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                      eps: Float = 1e-5) -> Tensor {
    let op = "layer_norm"
    input.requireFloat(op)
    let k = normalizedShape.count
    require(k >= 1 && input.rank >= k && Array(input.shape.suffix(k)) == normalizedShape,
            "\(op): input shape \(input.shape) does not end in normalized shape \(normalizedShape)")
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let t { require(t.shape == normalizedShape, "\(op): \(name) shape \(t.shape) should be \(normalizedShape)") }
    }
    let width = normalizedShape.reduce(1, *), rows = input.count / max(width, 1)
    let x = input.contiguousStorage()
    let gamma = (weight?.detach() ?? Tensor.ones(normalizedShape, device: input.device)).contiguousStorage()
    let beta = (bias?.detach() ?? Tensor.zeros(normalizedShape, device: input.device)).contiguousStorage()
    let y = input.makeOutput(input.shape), mean = input.makeOutput([rows]), rstd = input.makeOutput([rows])
    input.backend.layerNorm(x.operand, weight: gamma.operand, bias: beta.operand, rows: rows, width: width, eps: eps,
                            into: y.operand, mean: mean.operand, rstd: rstd.operand)
    let inputs = [input] + [weight, bias].compactMap { $0 }
    return y.recordingGrad(op, attributes: ["eps": .float(eps), "normalized_shape": .ints(normalizedShape)], inputs: inputs) { g in
        let gc = g.contiguousStorage()
        let dx = gc.makeOutput(input.shape)
        // Per-element g·x̂, summed over rows afterwards for dγ (rows run in parallel).
        let gx = gc.makeOutput([rows, width])
        gc.backend.layerNormBackward(gradient: gc.operand, input: x.operand, weight: gamma.operand, mean: mean.operand,
                                     rstd: rstd.operand, rows: rows, width: width, inputGradient: dx.operand,
                                     gradientTimesNormalized: gx.operand)
        var grads: [Tensor?] = [input.requiresGrad ? dx : nil]
        if let weight { grads.append(weight.requiresGrad ? gx.sum(dim: 0).reshaped(weight.shape) : nil) }
        if let bias { grads.append(bias.requiresGrad ? gc.reshaped([rows, width]).sum(dim: 0).reshaped(bias.shape) : nil) }
        return grads
    }
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
    /// running statistics, optimiser updates and loading weights. Like PyTorch's `copy_`, it copies across
    /// devices: weights read from a file onto the host load into a model on any device.
    public func assign(_ source: Tensor) {
        require(source.shape == shape, "assign: source shape \(source.shape) differs from \(shape)")
        let converted = source.dtype == dtype ? source : source.to(dtype)
        (converted.device == device ? converted : converted.detach().to(device: device)).copyValues(into: self)
    }
}
