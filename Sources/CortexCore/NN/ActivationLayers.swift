// Activation functions as layers, for use inside `Sequential`.

public final class ReLU: Module, Layer {
    public override init() { super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { relu(input) }
}

public final class LeakyReLU: Module, Layer {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope; super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { leakyRelu(input, negativeSlope: negativeSlope) }
}

public final class ELU: Module, Layer {
    public let alpha: Float
    public init(alpha: Float = 1) { self.alpha = alpha; super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { elu(input, alpha: alpha) }
}

public final class GELU: Module, Layer {
    public let approximate: GELUApproximation
    public init(approximate: GELUApproximation = .none) { self.approximate = approximate; super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { gelu(input, approximate: approximate) }
}

public final class SiLU: Module, Layer {
    public override init() { super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { silu(input) }
}

public final class Sigmoid: Module, Layer {
    public override init() { super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.sigmoid() }
}

public final class Tanh: Module, Layer {
    public override init() { super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.tanh() }
}

public final class Softplus: Module, Layer {
    public let beta: Float, threshold: Float
    public init(beta: Float = 1, threshold: Float = 20) { self.beta = beta; self.threshold = threshold; super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { softplus(input, beta: beta, threshold: threshold) }
}

public final class Softmax: Module, Layer {
    public let dim: Int
    public init(dim: Int) { self.dim = dim; super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.softmax(dim: dim) }
}

public final class LogSoftmax: Module, Layer {
    public let dim: Int
    public init(dim: Int) { self.dim = dim; super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.logSoftmax(dim: dim) }
}
