// Element-wise functions of two (broadcast, strided) float operands into a contiguous output.
#if canImport(Glibc)
import Glibc
#endif

/// A scalar function of two floats, dispatched statically so the kernels below are specialised
/// (a closure captured by the parallel loop's body would be an indirect call per element).
protocol FloatBinaryFunction { static func apply(_ a: Float, _ b: Float) -> Float }
enum AddFunction: FloatBinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubFunction: FloatBinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum MulFunction: FloatBinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum DivFunction: FloatBinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
// NaN propagates, as in torch.maximum/minimum.
enum MaxFunction: FloatBinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { (a.isNaN || a > b) ? a : b }
}
enum MinFunction: FloatBinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { (a.isNaN || a < b) ? a : b }
}
enum PowFunction: FloatBinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { powf(a, b) } }

enum Binary {
    /// out = a op b over `shape`, with per-operand strides (0 for broadcast axes); `out` is contiguous.
    static func apply(_ op: BinaryOp, shape: [Int],
                             a: UnsafePointer<Float>, aStrides: [Int],
                             b: UnsafePointer<Float>, bStrides: [Int],
                             out: UnsafeMutablePointer<Float>) {
        switch op {
        case .add: run(AddFunction.self, shape, a, aStrides, b, bStrides, out)
        case .sub: run(SubFunction.self, shape, a, aStrides, b, bStrides, out)
        case .mul: run(MulFunction.self, shape, a, aStrides, b, bStrides, out)
        case .div: run(DivFunction.self, shape, a, aStrides, b, bStrides, out)
        case .maximum: run(MaxFunction.self, shape, a, aStrides, b, bStrides, out)
        case .minimum: run(MinFunction.self, shape, a, aStrides, b, bStrides, out)
        case .pow: run(PowFunction.self, shape, a, aStrides, b, bStrides, out)
        }
    }

    static func run<F: FloatBinaryFunction>(_ f: F.Type, _ shape: [Int], _ a: UnsafePointer<Float>, _ aStrides: [Int],
                                            _ b: UnsafePointer<Float>, _ bStrides: [Int], _ out: UnsafeMutablePointer<Float>) {
        let loop = StridedLoop(shape: shape, strides: [aStrides, bStrides, contiguousStrides(shape)])
        let n = loop.innerCount, sa = loop.innerStride(0), sb = loop.innerStride(1)
        if loop.rowCount == 1 {
            // One long row (same-shape or scalar operands): split the row itself across cores.
            Parallel.forRange(n, grain: Parallel.elementwiseGrain) { r in
                inner(F.self, a + r.lowerBound * sa, sa, b + r.lowerBound * sb, sb, out + r.lowerBound, r.count)
            }
            return
        }
        let grain = max(1, Parallel.elementwiseGrain / max(n, 1))
        Parallel.forRange(loop.rowCount, grain: grain) { rows in
            loop.forEachRow(in: rows) { _, offsets in
                inner(F.self, a + offsets[0], sa, b + offsets[1], sb, out + offsets[2], n)
            }
        }
    }

    /// Specialised inner loops for the layouts broadcasting produces; each vectorises.
    @inline(__always)
    static func inner<F: FloatBinaryFunction>(_ f: F.Type, _ x: UnsafePointer<Float>, _ sa: Int, _ y: UnsafePointer<Float>, _ sb: Int,
                                              _ z: UnsafeMutablePointer<Float>, _ n: Int) {
        if sa == 1 && sb == 1 {
            for i in 0..<n { z[i] = F.apply(x[i], y[i]) }
        } else if sa == 1 && sb == 0 {
            let s = y[0]
            for i in 0..<n { z[i] = F.apply(x[i], s) }
        } else if sa == 0 && sb == 1 {
            let s = x[0]
            for i in 0..<n { z[i] = F.apply(s, y[i]) }
        } else {
            for i in 0..<n { z[i] = F.apply(x[i * sa], y[i * sb]) }
        }
    }
}
