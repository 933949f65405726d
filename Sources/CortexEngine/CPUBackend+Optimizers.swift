// Fused optimiser updates and gradient clipping on the CPU: one C pass per chunk, chunks spread over
// the engine's threads. The optimiser step is memory-bound, so both cores' bandwidth is what it needs.
import CCortexKernels
#if canImport(Glibc)
import Glibc
#endif

/// Elements per thread below which an update runs on one thread (a few microseconds of work).
let optimizerGrain = 1 << 15

extension CPUBackend {
    public func adamStep(_ s: AdamStep, parameter: Operand, gradient: Operand, firstMoment: Operand, secondMoment: Operand,
                         maxSecondMoment: Operand?) {
        for o in [parameter, gradient, firstMoment, secondMoment] { check(o, "adam") }
        check(maxSecondMoment, "adam")
        let p = parameter.floats, g = gradient.floats, m = firstMoment.floats, v = secondMoment.floats
        let vMax = maxSecondMoment?.floats
        Parallel.forRange(parameter.count, grain: optimizerGrain) { range in
            let o = range.lowerBound
            ck_adam_update(p + o, g + o, m + o, v + o, vMax.map { $0 + o }, range.count, s.stepSize, s.beta1, s.beta2,
                           s.correction2, s.eps, s.weightDecay, s.shrink, s.decoupled ? 1 : 0)
        }
    }

    public func sgdStep(_ s: SGDStep, parameter: Operand, gradient: Operand, momentumBuffer: Operand?) {
        check(parameter, "sgd"); check(gradient, "sgd"); check(momentumBuffer, "sgd")
        let p = parameter.floats, g = gradient.floats, b = momentumBuffer?.floats
        Parallel.forRange(parameter.count, grain: optimizerGrain) { range in
            let o = range.lowerBound
            ck_sgd_update(p + o, g + o, b.map { $0 + o }, range.count, s.learningRate, s.weightDecay, s.momentum, s.dampening,
                          s.firstStep ? 1 : 0, s.nesterov ? 1 : 0)
        }
    }

    /// s ← αs + (1 − α)g²; centred: a ← αa + (1 − α)g and the denominator is √(s − a²) + ε, else √s + ε;
    /// with momentum μ: b ← μb + g/denominator and p ← p − lr·b, else p ← p − lr·g/denominator.
    public func rmspropStep(_ h: RMSpropStep, parameter: Operand, gradient: Operand, squareAverage: Operand,
                            gradientAverage: Operand?, momentumBuffer: Operand?) {
        check(parameter, "rmsprop"); check(gradient, "rmsprop"); check(squareAverage, "rmsprop")
        check(gradientAverage, "rmsprop"); check(momentumBuffer, "rmsprop")
        let p = parameter.floats, g = gradient.floats, s = squareAverage.floats
        let a = gradientAverage?.floats ?? s, b = momentumBuffer?.floats ?? s
        let lr = h.learningRate, alpha = h.alpha, eps = h.eps, wd = h.weightDecay, mu = h.momentum, centered = h.centered
        Parallel.forRange(parameter.count, grain: optimizerGrain) { range in
            for i in range {
                let grad = g[i] + wd * p[i]
                s[i] = alpha * s[i] + (1 - alpha) * grad * grad
                var denominator: Float
                if centered {
                    a[i] = alpha * a[i] + (1 - alpha) * grad
                    denominator = (s[i] - a[i] * a[i]).squareRoot() + eps
                } else {
                    denominator = s[i].squareRoot() + eps
                }
                if mu > 0 {
                    b[i] = mu * b[i] + grad / denominator
                    p[i] -= lr * b[i]
                } else {
                    p[i] -= lr * grad / denominator
                }
            }
        }
    }

    /// Σ ← Σ + g², p ← p − lr · g/(√Σ + ε), with λp added to g first.
    public func adagradStep(learningRate: Float, weightDecay: Float, eps: Float, parameter: Operand, gradient: Operand, sum: Operand) {
        check(parameter, "adagrad"); check(gradient, "adagrad"); check(sum, "adagrad")
        let p = parameter.floats, g = gradient.floats, total = sum.floats
        Parallel.forRange(parameter.count, grain: optimizerGrain) { range in
            for i in range {
                let grad = g[i] + weightDecay * p[i]
                total[i] += grad * grad
                p[i] -= learningRate * grad / (total[i].squareRoot() + eps)
            }
        }
    }

    /// Per-gradient sums of |g|^p (pairwise, split over the cores), combined in Double, then the p-th root.
    public func gradientNorm(_ gradients: [Operand], normType: Float, into out: Operand) {
        for g in gradients { check(g, "clip_grad_norm") }
        check(out, "clip_grad_norm")
        if normType.isInfinite {
            var largest: Float = 0
            for g in gradients {
                let p = g.floats
                for i in 0..<g.count { largest = Swift.max(largest, Swift.abs(p[i])) }
            }
            out.floats.pointee = largest
            return
        }
        var total = 0.0
        for g in gradients {
            let n = g.count, p = g.floats
            let chunks = Parallel.chunkCount((n + optimizerGrain - 1) / optimizerGrain)
            let partial = UnsafeMutablePointer<Double>.allocate(capacity: chunks)
            defer { partial.deallocate() }
            Parallel.forChunks(chunks) { chunk, _ in
                let lower = n * chunk / chunks, upper = n * (chunk + 1) / chunks
                var sum = 0.0
                for i in lower..<upper {
                    let magnitude = Double(Swift.abs(p[i]))
                    sum += normType == 2 ? magnitude * magnitude : normType == 1 ? magnitude : pow(magnitude, Double(normType))
                }
                partial[chunk] = sum
            }
            for c in 0..<chunks { total += partial[c] }
        }
        out.floats.pointee = Float(pow(total, 1 / Double(normType)))
    }

    public func clipGradients(_ gradients: [Operand], maxNorm: Float, norm: Operand) {
        for g in gradients { check(g, "clip_grad_norm") }
        check(norm, "clip_grad_norm")
        let scale = maxNorm / (norm.floats.pointee + 1e-6)
        guard scale < 1 else { return }
        for g in gradients {
            let p = g.floats
            Parallel.forRange(g.count, grain: optimizerGrain) { range in
                for i in range { p[i] *= scale }
            }
        }
    }
}

