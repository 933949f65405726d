// Normalisation and softmax kernels on the CPU: batch norm per channel and layer norm per row, each
// fused into two passes forward and its own backward; softmax/log-softmax on the C kernels.
import CCortexKernels

extension CPUBackend {
    /// Two passes per channel (mean, then squared deviations) for accuracy, summed in Double.
    public func batchNormStatistics(_ x: Operand, batch: Int, channels: Int, plane: Int, mean: Operand, variance: Operand) {
        check(x, "batch_norm"); check(mean, "batch_norm"); check(variance, "batch_norm")
        let px = x.floats, m = mean.floats, v = variance.floats
        let count = Double(batch * plane)
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

    public func batchNorm(_ x: Operand, mean: Operand, variance: Operand, eps: Float, weight: Operand?, bias: Operand?,
                          batch: Int, plane: Int, into y: Operand) {
        check(x, "batch_norm"); check(mean, "batch_norm"); check(variance, "batch_norm")
        check(weight, "batch_norm"); check(bias, "batch_norm"); check(y, "batch_norm")
        let channels = mean.count
        let px = x.floats, py = y.floats, pm = mean.floats, pv = variance.floats
        let gamma = weight?.floats, beta = bias?.floats
        Parallel.forRange(batch * channels, grain: max(1, Parallel.elementwiseGrain / max(plane, 1))) { rows in
            for r in rows {
                let c = r % channels
                let rstd = 1 / (pv[c] + eps).squareRoot()
                let scale = rstd * (gamma?[c] ?? 1), shift = (beta?[c] ?? 0) - pm[c] * scale
                let src = px + r * plane, dst = py + r * plane
                for i in 0..<plane { dst[i] = src[i] * scale + shift }
            }
        }
    }

    /// dx, dγ, dβ. With batch statistics, dx = γ·rstd/M·(M·g − Σg − x̂·Σ(g·x̂)); with fixed (running)
    /// statistics the mean and variance are constants and dx = γ·rstd·g.
    public func batchNormBackward(gradient: Operand, input: Operand, mean: Operand, variance: Operand, eps: Float, weight: Operand?,
                                  batch: Int, plane: Int, batchStatistics: Bool,
                                  inputGradient: Operand, weightGradient: Operand, biasGradient: Operand) {
        for o in [gradient, input, mean, variance, inputGradient, weightGradient, biasGradient] { check(o, "batch_norm backward") }
        check(weight, "batch_norm backward")
        let channels = mean.count, count = Float(batch * plane)
        let pg = gradient.floats, px = input.floats, pdx = inputGradient.floats, pm = mean.floats, pv = variance.floats
        let gamma = weight?.floats, dg = weightGradient.floats, db = biasGradient.floats
        Parallel.forRange(channels, grain: max(1, Parallel.elementwiseGrain / max(batch * plane, 1))) { range in
            for c in range {
                let mu = pm[c], r = 1 / (pv[c] + eps).squareRoot()
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
                let k = (gamma?[c] ?? 1) * r
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

    public func layerNorm(_ x: Operand, weight: Operand, bias: Operand, rows: Int, width: Int, eps: Float,
                          into y: Operand, mean: Operand, rstd: Operand) {
        for o in [x, weight, bias, y, mean, rstd] { check(o, "layer_norm") }
        let px = x.floats, py = y.floats, pgm = weight.floats, pbt = bias.floats, m = mean.floats, r = rstd.floats
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

    /// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·γ, one row at a time.
    public func layerNormBackward(gradient: Operand, input: Operand, weight: Operand, mean: Operand, rstd: Operand,
                                  rows: Int, width: Int, inputGradient: Operand, gradientTimesNormalized: Operand) {
        for o in [gradient, input, weight, mean, rstd, inputGradient, gradientTimesNormalized] { check(o, "layer_norm backward") }
        let pg = gradient.floats, px = input.floats, pdx = inputGradient.floats, pgm = weight.floats
        let pgx = gradientTimesNormalized.floats, pm = mean.floats, pr = rstd.floats
        Parallel.forRange(rows, grain: max(1, Parallel.elementwiseGrain / max(width, 1))) { range in
            for row in range {
                let gr = pg + row * width, xr = px + row * width, out = pdx + row * width, gxr = pgx + row * width
                let mu = pm[row], inv = pr[row]
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

    public func softmax(_ x: Operand, outer: Int, n: Int, inner: Int, log: Bool, into y: Operand) {
        check(x, "softmax"); check(y, "softmax")
        if log { ck_log_softmax(x.floats, y.floats, outer, n, inner) } else { ck_softmax(x.floats, y.floats, outer, n, inner) }
    }

    public func softmaxBackward(output: Operand, gradient: Operand, outer: Int, n: Int, inner: Int, log: Bool, into: Operand) {
        check(output, "softmax backward"); check(gradient, "softmax backward"); check(into, "softmax backward")
        if log {
            ck_log_softmax_backward(output.floats, gradient.floats, into.floats, outer, n, inner)
        } else {
            ck_softmax_backward(output.floats, gradient.floats, into.floats, outer, n, inner)
        }
    }

    public func maskedSoftmax(_ x: Operand, mask: Operand, into y: Operand) {
        check(x, "masked_softmax"); check(mask, "masked_softmax"); check(y, "masked_softmax")
        let shape = x.layout.shape, n = shape.last ?? 1, rows = x.count / max(n, 1)
        require(mask.layout.shape == shape && (n <= 1 || mask.layout.strides.last == 1),
                "masked_softmax: the mask must be laid out over \(shape) with unit stride along the last axis")
        // Each row's mask offset, walking the leading axes with the mask's strides.
        var offsets = [Int](repeating: 0, count: rows)
        let lead = Array(shape.dropLast()), strides = Array(mask.layout.strides.dropLast())
        var index = [Int](repeating: 0, count: lead.count), offset = 0
        for r in 0..<rows {
            offsets[r] = offset
            var axis = lead.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < lead[axis] { break }
                offset -= strides[axis] * lead[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        let px = x.floats, pm = UnsafePointer(mask.floats), py = y.floats
        offsets.withUnsafeBufferPointer { o in
            Parallel.forRange(rows, grain: max(1, Parallel.elementwiseGrain / max(n, 1))) { range in
                ck_softmax_masked(px + range.lowerBound * n, pm, o.baseAddress! + range.lowerBound, py + range.lowerBound * n,
                                  range.count, n)
            }
        }
    }
}
