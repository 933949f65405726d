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
    input.requireFloat(op)
    require(input.rank >= 2, "\(op): input must be (N, C, …), got shape \(input.shape)")
    let channels = input.shape[1], batch = input.shape[0], plane = input.shape.dropFirst(2).reduce(1, *)
    for (name, t) in [("running mean", runningMean), ("running var", runningVar), ("weight", weight), ("bias", bias)] {
        if let t { require(t.shape == [channels], "\(op): \(name) shape \(t.shape) should be [\(channels)]") }
    }
    let perChannel = batch * plane
    let mean: [Float], rstd: [Float]
    if training {
        require(perChannel > 1, "\(op): expected more than 1 value per channel when training, got input shape \(input.shape)")
        let (m, variance) = BatchNormKernel.statistics(input.contiguousStorage(), batch: batch, channels: channels, plane: plane)
        mean = m
        rstd = variance.map { 1 / ($0 + eps).squareRoot() }
        noGrad {
            let unbiasedScale = Float(perChannel) / Float(perChannel - 1)
            if let runningMean { runningMean.assign(runningMean * (1 - momentum) + Tensor(m) * momentum) }
            if let runningVar { runningVar.assign(runningVar * (1 - momentum) + Tensor(variance.map { $0 * unbiasedScale }) * momentum) }
        }
    } else {
        guard let runningMean, let runningVar else { fatalError("\(op): eval mode needs running mean and variance") }
        mean = runningMean.scalars
        rstd = runningVar.scalars.map { 1 / ($0 + eps).squareRoot() }
    }
    let gamma = weight?.scalars ?? Array(repeating: 1, count: channels), beta = bias?.scalars ?? Array(repeating: 0, count: channels)
    let x = input.contiguousStorage()
    let y = BatchNormKernel.normalize(x, mean: mean, rstd: rstd, gamma: gamma, beta: beta, batch: batch, plane: plane)
    let inputs = [input] + [weight, bias].compactMap { $0 }
    return y.recordingGrad(op, attributes: ["eps": .float(eps), "training": .bool(training)], inputs: inputs) { g in
        let (dx, dGamma, dBeta) = BatchNormKernel.backward(g.contiguousStorage(), x: x, mean: mean, rstd: rstd, gamma: gamma,
                                                           batch: batch, plane: plane, batchStatistics: training)
        var grads: [Tensor?] = [input.requiresGrad ? dx : nil]
        if let weight { grads.append(weight.requiresGrad ? Tensor(dGamma) : nil) }
        if let bias { grads.append(bias.requiresGrad ? Tensor(dBeta) : nil) }
        return grads
    }
}

/// The batch-norm loops over (N, C, plane) float data; each channel is independent, so channels
/// are split across cores.
enum BatchNormKernel {
    /// Per-channel mean and biased variance (two passes, for accuracy), summed in Double.
    static func statistics(_ x: Tensor, batch: Int, channels: Int, plane: Int) -> ([Float], [Float]) {
        var mean = [Float](repeating: 0, count: channels), variance = mean
        let count = Double(batch * plane)
        mean.withUnsafeMutableBufferPointer { pm in
            variance.withUnsafeMutableBufferPointer { pv in
                let m = pm.baseAddress!, v = pv.baseAddress!
                withFloats(x) { px in
                    Parallel.forRange(channels, grain: max(1, Parallel.elementwiseGrain / max(batch * plane, 1))) { range in
                        for c in range {
                            var total = 0.0
                            for n in 0..<batch { total += Double(Reduce.sumRow(px + (n * channels + c) * plane, plane)) }
                            let mu = Float(total / count)
                            var squares = 0.0
                            for n in 0..<batch {
                                let row = px + (n * channels + c) * plane
                                var partial: Float = 0
                                for i in 0..<plane { let d = row[i] - mu; partial += d * d }
                                squares += Double(partial)
                            }
                            m[c] = mu
                            v[c] = Float(squares / count)
                        }
                    }
                }
            }
        }
        return (mean, variance)
    }

    /// y = (x − mean)·rstd·γ + β, per channel.
    static func normalize(_ x: Tensor, mean: [Float], rstd: [Float], gamma: [Float], beta: [Float], batch: Int, plane: Int) -> Tensor {
        let channels = mean.count
        let y = Tensor(uninitialized: x.shape)
        withFloats(x, y) { px, py in
            Parallel.forRange(batch * channels, grain: max(1, Parallel.elementwiseGrain / max(plane, 1))) { rows in
                for r in rows {
                    let c = r % channels
                    let scale = rstd[c] * gamma[c], shift = beta[c] - mean[c] * scale
                    let src = px + r * plane, dst = py + r * plane
                    for i in 0..<plane { dst[i] = src[i] * scale + shift }
                }
            }
        }
        return y
    }

    /// dx, dγ, dβ. With batch statistics, dx = γ·rstd/M·(M·g − Σg − x̂·Σ(g·x̂)); with fixed
    /// (running) statistics the mean and variance are constants and dx = γ·rstd·g.
    static func backward(_ g: Tensor, x: Tensor, mean: [Float], rstd: [Float], gamma: [Float], batch: Int, plane: Int,
                         batchStatistics: Bool) -> (Tensor, [Float], [Float]) {
        let channels = mean.count
        var dGamma = [Float](repeating: 0, count: channels), dBeta = dGamma
        let dx = Tensor(uninitialized: x.shape)
        let count = Float(batch * plane)
        dGamma.withUnsafeMutableBufferPointer { pgm in
            dBeta.withUnsafeMutableBufferPointer { pbt in
                let dg = pgm.baseAddress!, db = pbt.baseAddress!
                withFloats(g, x, dx) { pg, px, pdx in
                    Parallel.forRange(channels, grain: max(1, Parallel.elementwiseGrain / max(batch * plane, 1))) { range in
                        for c in range {
                            let mu = mean[c], r = rstd[c]
                            var sumG = 0.0, sumGX = 0.0
                            for n in 0..<batch {
                                let gr = pg + (n * channels + c) * plane, xr = px + (n * channels + c) * plane
                                var a: Float = 0, b: Float = 0
                                for i in 0..<plane {
                                    a += gr[i]
                                    b += gr[i] * (xr[i] - mu)
                                }
                                sumG += Double(a)
                                sumGX += Double(b)
                            }
                            let sumGXhat = Float(sumGX) * r
                            db[c] = Float(sumG)
                            dg[c] = sumGXhat
                            let k = gamma[c] * r
                            let meanG = Float(sumG) / count, meanGX = sumGXhat / count
                            for n in 0..<batch {
                                let gr = pg + (n * channels + c) * plane, xr = px + (n * channels + c) * plane
                                let out = pdx + (n * channels + c) * plane
                                if batchStatistics {
                                    for i in 0..<plane { out[i] = k * (gr[i] - meanG - (xr[i] - mu) * r * meanGX) }
                                } else {
                                    for i in 0..<plane { out[i] = k * gr[i] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx, dGamma, dBeta)
    }
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
    let gamma = (weight ?? Tensor.ones(normalizedShape)).contiguousStorage()
    let beta = (bias ?? Tensor.zeros(normalizedShape)).contiguousStorage()
    let y = Tensor(uninitialized: input.shape)
    var mean = [Float](repeating: 0, count: rows), rstd = mean
    mean.withUnsafeMutableBufferPointer { pm in
        rstd.withUnsafeMutableBufferPointer { pr in
            let m = pm.baseAddress!, r = pr.baseAddress!
            withFloats(x, y, gamma, beta) { px, py, pgm, pbt in
                Parallel.forRange(rows, grain: max(1, Parallel.elementwiseGrain / max(width, 1))) { range in
                    for row in range {
                        let src = px + row * width, dst = py + row * width
                        let mu = Reduce.sumRow(src, width) / Float(width)
                        var squares: Float = 0
                        for i in 0..<width { let d = src[i] - mu; squares += d * d }
                        let inv = 1 / (squares / Float(width) + eps).squareRoot()
                        for i in 0..<width { dst[i] = (src[i] - mu) * inv * pgm[i] + pbt[i] }
                        m[row] = mu
                        r[row] = inv
                    }
                }
            }
        }
    }
    let inputs = [input] + [weight, bias].compactMap { $0 }
    return y.recordingGrad(op, inputs: inputs) { g in
        let gc = g.contiguousStorage()
        let dx = Tensor(uninitialized: input.shape)
        // Per-row contributions to dγ and dβ, summed over rows afterwards (rows run in parallel).
        let gx = Tensor(uninitialized: [rows, width])
        withFloats(gc, x, dx, gamma) { pg, px, pdx, pgm in
            withFloats(gx) { pgx in
                Parallel.forRange(rows, grain: max(1, Parallel.elementwiseGrain / max(width, 1))) { range in
                    for row in range {
                        let gr = pg + row * width, xr = px + row * width, out = pdx + row * width, gxr = pgx + row * width
                        let mu = mean[row], inv = rstd[row]
                        var sumG: Float = 0, sumGX: Float = 0
                        for i in 0..<width {
                            let xhat = (xr[i] - mu) * inv, gh = gr[i] * pgm[i]
                            gxr[i] = gr[i] * xhat
                            sumG += gh
                            sumGX += gh * xhat
                        }
                        let meanG = sumG / Float(width), meanGX = sumGX / Float(width)
                        for i in 0..<width {
                            let xhat = (xr[i] - mu) * inv
                            out[i] = inv * (gr[i] * pgm[i] - meanG - xhat * meanGX)
                        }
                    }
                }
            }
        }
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
    /// running statistics and optimiser updates.
    public func assign(_ source: Tensor) {
        require(source.shape == shape, "assign: source shape \(source.shape) differs from \(shape)")
        let converted = source.dtype == dtype ? source : source.to(dtype)
        converted.copyValues(into: self)
    }
}
