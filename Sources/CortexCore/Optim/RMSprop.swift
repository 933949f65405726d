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

    public override func update(index: Int, parameter: Tensor, gradient: Tensor) {
        _ = advanceStep(index)
        let s = stateTensor(index, "square_avg")
        let a = centered ? stateTensor(index, "grad_avg") : nil
        let b = momentum > 0 ? stateTensor(index, "momentum_buffer") : nil
        let step = RMSpropStep(learningRate: learningRate, alpha: alpha, eps: eps, weightDecay: weightDecay, momentum: momentum,
                               centered: centered)
        parameter.backend.rmspropStep(step, parameter: parameter.operand, gradient: gradient.operand, squareAverage: s.operand,
                                      gradientAverage: a?.operand, momentumBuffer: b?.operand)
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

    public override func update(index: Int, parameter: Tensor, gradient: Tensor) {
        let t = advanceStep(index)
        let sum = stateTensor(index, "sum", initial: initialAccumulatorValue)
        let clr = learningRate / (1 + Float(t - 1) * learningRateDecay)
        parameter.backend.adagradStep(learningRate: clr, weightDecay: weightDecay, eps: eps, parameter: parameter.operand,
                                      gradient: gradient.operand, sum: sum.operand)
    }
}
