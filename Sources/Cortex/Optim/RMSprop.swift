// RMSprop and Adagrad, as torch.optim.
import CortexEngine

/// s ← αs + (1 − α)g²; with `centered`, a ← αa + (1 − α)g and the denominator is √(s − a²) + ε,
/// else √s + ε; with momentum μ: b ← μb + g/denominator and p ← p − lr·b, else p ← p − lr·g/denominator.
/// Weight decay adds λp to g first.
public final class RMSprop: Optimizer, @unchecked Sendable {
    public let alpha: Float, eps: Float, weightDecay: Float, momentum: Float, centered: Bool

    public init(_ parameters: [Tensor], learningRate: Float = 1e-2, alpha: Float = 0.99, eps: Float = 1e-8, weightDecay: Float = 0,
                momentum: Float = 0, centered: Bool = false) {
        require(alpha >= 0 && eps >= 0 && weightDecay >= 0 && momentum >= 0, "RMSprop: alpha, eps, weight decay and momentum must be non-negative")
        (self.alpha, self.eps, self.weightDecay, self.momentum, self.centered) = (alpha, eps, weightDecay, momentum, centered)
        super.init(parameters, learningRate: learningRate)
    }

    public override func update(index: Int, parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count: Int) {
        _ = advanceStep(index)
        let s = buffer(index, "square_avg")
        let a = centered ? buffer(index, "grad_avg") : s
        let b = momentum > 0 ? buffer(index, "momentum_buffer") : s
        let lr = learningRate, alpha = alpha, eps = eps, wd = weightDecay, mu = momentum, centered = centered
        // Memory-bound: chunks of a large parameter go to both cores.
        Parallel.forRange(count, grain: OptimizerKernels.grain) { range in
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
}

/// Σ ← Σ + g², p ← p − lr/(1 + (t − 1)·decay) · g/(√Σ + ε); weight decay adds λp to g first.
public final class Adagrad: Optimizer, @unchecked Sendable {
    public let learningRateDecay: Float, weightDecay: Float, initialAccumulatorValue: Float, eps: Float

    public init(_ parameters: [Tensor], learningRate: Float = 1e-2, learningRateDecay: Float = 0, weightDecay: Float = 0,
                initialAccumulatorValue: Float = 0, eps: Float = 1e-10) {
        require(learningRateDecay >= 0 && weightDecay >= 0 && initialAccumulatorValue >= 0 && eps >= 0,
                "Adagrad: decay, weight decay, initial accumulator and eps must be non-negative")
        (self.learningRateDecay, self.weightDecay, self.initialAccumulatorValue, self.eps) =
            (learningRateDecay, weightDecay, initialAccumulatorValue, eps)
        super.init(parameters, learningRate: learningRate)
    }

    public override func update(index: Int, parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count: Int) {
        let t = advanceStep(index)
        let sum = buffer(index, "sum", initial: initialAccumulatorValue)
        let clr = learningRate / (1 + Float(t - 1) * learningRateDecay)
        let wd = weightDecay, eps = eps
        Parallel.forRange(count, grain: OptimizerKernels.grain) { range in
            for i in range {
                let grad = g[i] + wd * p[i]
                sum[i] += grad * grad
                p[i] -= clr * grad / (sum[i].squareRoot() + eps)
            }
        }
    }
}
