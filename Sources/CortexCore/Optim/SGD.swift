// Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).
import CortexEngine

/// p ← p − lr·d, where d = g + λp, then with momentum μ: b ← μb + (1 − dampening)d (b = d on the
/// first step) and d = b, or d + μb for Nesterov — exactly torch.optim.SGD's update.
public final class SGD: Optimizer, @unchecked Sendable {
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool

    public init(_ parameters: [Tensor], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        require(momentum >= 0 && weightDecay >= 0, "SGD: momentum and weight decay must be non-negative")
        require(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and zero dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        super.init(parameters, learningRate: learningRate)
    }

    public override func update(index: Int, parameter: Tensor, gradient: Tensor) {
        let first = momentum != 0 && state[index]["momentum_buffer"] == nil
        let b = momentum == 0 ? nil : stateTensor(index, "momentum_buffer")
        let step = SGDStep(learningRate: learningRate, weightDecay: weightDecay, momentum: momentum, dampening: dampening,
                           firstStep: first, nesterov: nesterov)
        parameter.backend.sgdStep(step, parameter: parameter.operand, gradient: gradient.operand, momentumBuffer: b?.operand)
    }
}
