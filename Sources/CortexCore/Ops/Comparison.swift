// Element-wise comparisons and boolean logic, with broadcasting. Results are bool masks and carry
// no gradient.
import CortexEngine

extension Tensor {
    /// A bool mask of `op` applied element-wise; operands are compared as float32 values.
    private static func compare(_ a: Tensor, _ b: Tensor, _ name: String, _ op: CompareOp) -> Tensor {
        let x = a.dtype == .float32 ? a : a.to(.float32), y = b.dtype == .float32 ? b : b.to(.float32)
        let shape = broadcastShapes(x.shape, y.shape, op: name)
        let out = x.makeOutput(shape, dtype: .bool)
        x.backend.compare(op, x.broadcastOperand(to: shape), y.broadcastOperand(to: shape), into: out.operand)
        return out
    }

    public func eq(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "eq", .equal) }
    public func ne(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "ne", .notEqual) }
    public func lt(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "lt", .less) }
    public func le(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "le", .lessOrEqual) }
    public func gt(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "gt", .greater) }
    public func ge(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "ge", .greaterOrEqual) }

    public func eq(_ value: Float) -> Tensor { eq(constant(value)) }
    public func ne(_ value: Float) -> Tensor { ne(constant(value)) }
    public func lt(_ value: Float) -> Tensor { lt(constant(value)) }
    public func le(_ value: Float) -> Tensor { le(constant(value)) }
    public func gt(_ value: Float) -> Tensor { gt(constant(value)) }
    public func ge(_ value: Float) -> Tensor { ge(constant(value)) }

    /// Element-wise logical and of two masks.
    public static func & (a: Tensor, b: Tensor) -> Tensor { compare(a, b, "logical_and", .and) }
    /// Element-wise logical or of two masks.
    public static func | (a: Tensor, b: Tensor) -> Tensor { compare(a, b, "logical_or", .or) }
    /// Element-wise logical not of a mask.
    public static prefix func ! (a: Tensor) -> Tensor { a.eq(0) }

    /// True where |self − other| ≤ atol + rtol·|other| (as torch.isclose).
    public func isClose(_ other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-8) -> Tensor {
        Tensor.compare(self, other, "isclose", .isClose(rtol: rtol, atol: atol))
    }

    /// Whether every element of both tensors is close and the shapes broadcast.
    public func allClose(_ other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-8) -> Bool {
        isClose(other, rtol: rtol, atol: atol).booleans.allSatisfy { $0 }
    }
}
