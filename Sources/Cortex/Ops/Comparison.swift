// Element-wise comparisons and boolean logic, with broadcasting. Results are bool masks and carry
// no gradient.
import CortexEngine

extension Tensor {
    /// out[i] = f(a[i], b[i]) as a bool mask; operands are compared as float32 values.
    private static func compare(_ a: Tensor, _ b: Tensor, _ name: String, _ f: (Float, Float) -> Bool) -> Tensor {
        let x = a.dtype == .float32 ? a : a.to(.float32), y = b.dtype == .float32 ? b : b.to(.float32)
        let shape = broadcastShapes(x.shape, y.shape, op: name)
        let out = Tensor(uninitialized: shape, dtype: .bool)
        let loop = StridedLoop(shape: shape, strides: [x.broadcastStrides(to: shape), y.broadcastStrides(to: shape)])
        let n = loop.innerCount, sx = loop.innerStride(0), sy = loop.innerStride(1)
        withExtendedLifetime((x, y, out)) {
            let px = x.floatPointer, py = y.floatPointer
            let po = out.rawPointer.assumingMemoryBound(to: UInt8.self)
            loop.forEachRow(in: 0..<loop.rowCount) { row, offsets in
                let o = po + row * n, u = px + offsets[0], v = py + offsets[1]
                for i in 0..<n { o[i] = f(u[i * sx], v[i * sy]) ? 1 : 0 }
            }
        }
        return out
    }

    public func eq(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "eq") { $0 == $1 } }
    public func ne(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "ne") { $0 != $1 } }
    public func lt(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "lt") { $0 < $1 } }
    public func le(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "le") { $0 <= $1 } }
    public func gt(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "gt") { $0 > $1 } }
    public func ge(_ other: Tensor) -> Tensor { Tensor.compare(self, other, "ge") { $0 >= $1 } }

    public func eq(_ value: Float) -> Tensor { eq(Tensor(value)) }
    public func ne(_ value: Float) -> Tensor { ne(Tensor(value)) }
    public func lt(_ value: Float) -> Tensor { lt(Tensor(value)) }
    public func le(_ value: Float) -> Tensor { le(Tensor(value)) }
    public func gt(_ value: Float) -> Tensor { gt(Tensor(value)) }
    public func ge(_ value: Float) -> Tensor { ge(Tensor(value)) }

    /// Element-wise logical and of two masks.
    public static func & (a: Tensor, b: Tensor) -> Tensor { compare(a, b, "logical_and") { $0 != 0 && $1 != 0 } }
    /// Element-wise logical or of two masks.
    public static func | (a: Tensor, b: Tensor) -> Tensor { compare(a, b, "logical_or") { $0 != 0 || $1 != 0 } }
    /// Element-wise logical not of a mask.
    public static prefix func ! (a: Tensor) -> Tensor { a.eq(0) }

    /// True where |self − other| ≤ atol + rtol·|other| (as torch.isclose).
    public func isClose(_ other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-8) -> Tensor {
        Tensor.compare(self, other, "isclose") { $0 == $1 || Swift.abs($0 - $1) <= atol + rtol * Swift.abs($1) }
    }

    /// Whether every element of both tensors is close and the shapes broadcast.
    public func allClose(_ other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-8) -> Bool {
        isClose(other, rtol: rtol, atol: atol).booleans.allSatisfy { $0 }
    }
}
