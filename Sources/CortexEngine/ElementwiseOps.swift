// The element-wise operations the backend protocol names: maps of one operand (with their parameters) and
// functions of two. Each backend computes them in its own kernels (on the CPU: Unary.swift and Binary.swift).

/// A map of one float operand.
public enum UnaryOp: Sendable, Equatable {
    case neg, abs, sqrt, square, reciprocal, sign, exp, log, sin, cos, floor, ceil, round
    case relu, sigmoid, tanh, gelu, geluTanh, silu
    case leakyRelu(slope: Float)
    case elu(alpha: Float)
    case softplus(beta: Float, threshold: Float)
    case addScalar(Float), mulScalar(Float), rsubScalar(Float), rdivScalar(Float)
    case powScalar(Float)
    case clamp(min: Float, max: Float)
}

/// A function of two float operands, broadcast against each other.
public enum BinaryOp: Sendable, Equatable {
    case add, sub, mul, div, maximum, minimum, pow
}
