// Activation functions, as torch.nn.functional names them. Their derivatives are in the engine's
// UnaryOp table beside their forward kernels (C kernels for the transcendental ones).
import CortexEngine

public func relu(_ x: Tensor) -> Tensor { x.unary(.relu, "relu") }

public func leakyRelu(_ x: Tensor, negativeSlope: Float = 0.01) -> Tensor {
    x.unary(.leakyRelu(slope: negativeSlope), "leaky_relu")
}

public func elu(_ x: Tensor, alpha: Float = 1) -> Tensor { x.unary(.elu(alpha: alpha), "elu") }

/// How GELU evaluates the Gaussian CDF: exactly (erf) or with PyTorch's tanh approximation.
public enum GELUApproximation: String, Sendable { case none, tanh }

public func gelu(_ x: Tensor, approximate: GELUApproximation = .none) -> Tensor {
    approximate == .none ? x.unary(.gelu, "gelu") : x.unary(.geluTanh, "gelu")
}

/// x·σ(x), also called swish.
public func silu(_ x: Tensor) -> Tensor { x.unary(.silu, "silu") }

public func sigmoid(_ x: Tensor) -> Tensor { x.sigmoid() }
public func tanh(_ x: Tensor) -> Tensor { x.tanh() }

/// log(1 + exp(βx))/β, linear above `threshold` (βx > threshold) for numerical stability.
public func softplus(_ x: Tensor, beta: Float = 1, threshold: Float = 20) -> Tensor {
    x.unary(.softplus(beta: beta, threshold: threshold), "softplus")
}
