// Adam (with L2 weight decay and AMSGrad) and AdamW (decoupled weight decay), as torch.optim.
import CortexEngine
import Foundation

/// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p − lr/(1 − β₁ᵗ) · m / (√v̂/√(1 − β₂ᵗ) + ε),
/// where v̂ is v, or its running maximum with AMSGrad. Adam adds λp to g (L2); AdamW instead
/// shrinks p by (1 − lr·λ) before the step (decoupled decay).
public class Adam: Optimizer, @unchecked Sendable {
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float, amsgrad: Bool
    let decoupled: Bool

    public init(_ parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 0, amsgrad: Bool = false) {
        (beta1, beta2, self.eps, self.weightDecay, self.amsgrad, decoupled) = (betas.0, betas.1, eps, weightDecay, amsgrad, false)
        super.init(parameters, learningRate: learningRate)
        validate()
    }

    init(_ parameters: [Tensor], learningRate: Float, betas: (Float, Float), eps: Float, weightDecay: Float, amsgrad: Bool,
         decoupled: Bool) {
        (beta1, beta2, self.eps, self.weightDecay, self.amsgrad, self.decoupled) = (betas.0, betas.1, eps, weightDecay, amsgrad, decoupled)
        super.init(parameters, learningRate: learningRate)
        validate()
    }

    private func validate() {
        require((0..<1).contains(beta1) && (0..<1).contains(beta2), "\(type(of: self)): betas must be in [0, 1), got (\(beta1), \(beta2))")
        require(eps >= 0 && weightDecay >= 0, "\(type(of: self)): eps and weight decay must be non-negative")
    }

    public override func update(index: Int, parameter: Tensor, gradient: Tensor) {
        let t = advanceStep(index)
        let m = stateTensor(index, "exp_avg"), v = stateTensor(index, "exp_avg_sq")
        let vMax = amsgrad ? stateTensor(index, "max_exp_avg_sq") : nil
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = eps, wd = weightDecay
        // Bias corrections in Double, as PyTorch computes them in Python floats.
        let stepSize = Float(Double(lr) / (1 - pow(Double(b1), Double(t))))
        let correction2 = Float((1 - pow(Double(b2), Double(t))).squareRoot())
        let shrink = 1 - lr * wd
        let step = AdamStep(stepSize: stepSize, beta1: b1, beta2: b2, correction2: correction2, eps: eps, weightDecay: wd,
                            shrink: shrink, decoupled: decoupled)
        parameter.backend.adamStep(step, parameter: parameter.operand, gradient: gradient.operand, firstMoment: m.operand,
                                   secondMoment: v.operand, maxSecondMoment: vMax?.operand)
    }
}

/// Adam with decoupled weight decay (default 0.01), as torch.optim.AdamW.
public final class AdamW: Adam, @unchecked Sendable {
    public override init(_ parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 0.01, amsgrad: Bool = false) {
        super.init(parameters, learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
                   decoupled: true)
    }
}
