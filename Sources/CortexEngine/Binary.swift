// Element-wise functions of two (broadcast, strided) float operands into a contiguous output.
#if canImport(Glibc)
import Glibc
#endif

public enum BinaryOp: Sendable, Equatable {
    case add, sub, mul, div, maximum, minimum, pow
}

public enum Binary {
    /// out = a op b over `shape`, with per-operand strides (0 for broadcast axes); `out` is contiguous.
    public static func apply(_ op: BinaryOp, shape: [Int],
                             a: UnsafePointer<Float>, aStrides: [Int],
                             b: UnsafePointer<Float>, bStrides: [Int],
                             out: UnsafeMutablePointer<Float>) {
        switch op {
        case .add: run(shape, a, aStrides, b, bStrides, out) { $0 + $1 }
        case .sub: run(shape, a, aStrides, b, bStrides, out) { $0 - $1 }
        case .mul: run(shape, a, aStrides, b, bStrides, out) { $0 * $1 }
        case .div: run(shape, a, aStrides, b, bStrides, out) { $0 / $1 }
        // NaN propagates, as in torch.maximum/minimum.
        case .maximum: run(shape, a, aStrides, b, bStrides, out) { ($0.isNaN || $0 > $1) ? $0 : $1 }
        case .minimum: run(shape, a, aStrides, b, bStrides, out) { ($0.isNaN || $0 < $1) ? $0 : $1 }
        case .pow: run(shape, a, aStrides, b, bStrides, out) { powf($0, $1) }
        }
    }

    @inline(__always)
    static func run(_ shape: [Int], _ a: UnsafePointer<Float>, _ aStrides: [Int],
                    _ b: UnsafePointer<Float>, _ bStrides: [Int], _ out: UnsafeMutablePointer<Float>,
                    _ f: (Float, Float) -> Float) {
        let loop = StridedLoop(shape: shape, strides: [aStrides, bStrides, contiguousStrides(shape)])
        let n = loop.innerCount, sa = loop.innerStride(0), sb = loop.innerStride(1)
        if loop.rowCount == 1 {
            // One long row (same-shape or scalar operands): split the row itself across cores.
            Parallel.forRange(n, grain: Parallel.elementwiseGrain) { r in
                let x = a + r.lowerBound * sa, y = b + r.lowerBound * sb, z = out + r.lowerBound
                inner(x, sa, y, sb, z, r.count, f)
            }
            return
        }
        let grain = max(1, Parallel.elementwiseGrain / n)
        Parallel.forRange(loop.rowCount, grain: grain) { rows in
            loop.forEachRow(in: rows) { _, offsets in
                inner(a + offsets[0], sa, b + offsets[1], sb, out + offsets[2], n, f)
            }
        }
    }

    /// Specialised inner loops for the layouts broadcasting produces; each vectorises.
    @inline(__always)
    static func inner(_ x: UnsafePointer<Float>, _ sa: Int, _ y: UnsafePointer<Float>, _ sb: Int,
                      _ z: UnsafeMutablePointer<Float>, _ n: Int, _ f: (Float, Float) -> Float) {
                if sa == 1 && sb == 1 {
                    for i in 0..<n { z[i] = f(x[i], y[i]) }
                } else if sa == 1 && sb == 0 {
                    let s = y[0]
                    for i in 0..<n { z[i] = f(x[i], s) }
                } else if sa == 0 && sb == 1 {
                    let s = x[0]
                    for i in 0..<n { z[i] = f(s, y[i]) }
                } else {
                    for i in 0..<n { z[i] = f(x[i * sa], y[i * sb]) }
                }
    }
}
