// Element-wise maps of one float array and their derivatives: the table every unary op and
// activation in Cortex runs on. Transcendentals go to the C kernels (vector polynomials,
// picked per CPU at run time); the rest are simple loops the compiler vectorises.
import CCortexKernels
#if canImport(Glibc)
import Glibc
#endif

enum Unary {
    /// y[i] = op(x[i]) for `count` contiguous floats; `y` may equal `x`.
    static func apply(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRange(count, grain: Parallel.elementwiseGrain) { range in
            let xs = x + range.lowerBound, ys = y + range.lowerBound, n = range.count
            applyChunk(op, xs, ys, n)
        }
    }

    static func applyChunk(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch op {
        case .neg: map(x, y, n) { -$0 }
        case .abs: map(x, y, n) { Swift.abs($0) }
        case .sqrt: map(x, y, n) { $0.squareRoot() }
        case .square: map(x, y, n) { $0 * $0 }
        case .reciprocal: map(x, y, n) { 1 / $0 }
        case .sign: map(x, y, n) { $0 > 0 ? 1 : ($0 < 0 ? -1 : ($0.isNaN ? $0 : 0)) }
        case .floor: map(x, y, n) { $0.rounded(.down) }
        case .ceil: map(x, y, n) { $0.rounded(.up) }
        case .round: map(x, y, n) { $0.rounded(.toNearestOrEven) }
        case .exp: ck_exp(x, y, n)
        case .log: ck_log(x, y, n)
        case .sin: map(x, y, n) { sinf($0) }
        case .cos: map(x, y, n) { cosf($0) }
        case .relu: map(x, y, n) { $0 > 0 ? $0 : ($0.isNaN ? $0 : 0) }
        case .sigmoid: ck_sigmoid(x, y, n)
        case .tanh: ck_tanh(x, y, n)
        case .gelu: ck_gelu(x, y, n)
        case .geluTanh: ck_gelu_tanh(x, y, n)
        case .silu: ck_silu(x, y, n)
        case .leakyRelu(let slope): map(x, y, n) { $0 > 0 ? $0 : $0 * slope }
        case .elu(let alpha):
            // expm1 keeps precision for small negative inputs, as PyTorch does.
            map(x, y, n) { $0 > 0 ? $0 : alpha * expm1f($0) }
        case .softplus(let beta, let threshold): ck_softplus(x, y, n, beta, threshold)
        case .addScalar(let s): map(x, y, n) { $0 + s }
        case .mulScalar(let s): map(x, y, n) { $0 * s }
        case .rsubScalar(let s): map(x, y, n) { s - $0 }
        case .rdivScalar(let s): map(x, y, n) { s / $0 }
        case .powScalar(let p):
            if p == 2 { map(x, y, n) { $0 * $0 } }
            else if p == 3 { map(x, y, n) { $0 * $0 * $0 } }
            else if p == 0.5 { map(x, y, n) { $0.squareRoot() } }
            else if p == 1 { map(x, y, n) { $0 } }
            else { map(x, y, n) { powf($0, p) } }
        case .clamp(let lo, let hi): map(x, y, n) { Swift.min(Swift.max($0, lo), hi) }
        }
    }

    /// dx[i] = dop/dx at x[i] times g[i], given the forward input `x` and output `y`.
    /// Each rule uses whichever of x and y makes it cheapest and most exact.
    static func backward(
        _ op: UnaryOp, x: UnsafePointer<Float>, y: UnsafePointer<Float>, grad g: UnsafePointer<Float>,
        into dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        Parallel.forRange(count, grain: Parallel.elementwiseGrain) { range in
            let o = range.lowerBound
            backwardChunk(op, x + o, y + o, g + o, dx + o, range.count)
        }
    }

    static func backwardChunk(
        _ op: UnaryOp, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        switch op {
        case .neg: map(g, dx, n) { -$0 }
        case .abs: zip(x, g, dx, n) { x, g in x > 0 ? g : (x < 0 ? -g : 0) }
        case .sqrt: zip(y, g, dx, n) { y, g in g * 0.5 / y }
        case .square: zip(x, g, dx, n) { x, g in 2 * x * g }
        case .reciprocal: zip(y, g, dx, n) { y, g in -g * y * y }
        case .sign, .floor, .ceil, .round: for i in 0..<n { dx[i] = 0 }
        case .exp: zip(y, g, dx, n) { y, g in g * y }
        case .log: zip(x, g, dx, n) { x, g in g / x }
        case .sin: zip(x, g, dx, n) { x, g in g * cosf(x) }
        case .cos: zip(x, g, dx, n) { x, g in -g * sinf(x) }
        case .relu: zip(x, g, dx, n) { x, g in x > 0 ? g : 0 }
        case .sigmoid: ck_sigmoid_backward(y, g, dx, n)
        case .tanh: ck_tanh_backward(y, g, dx, n)
        case .gelu: ck_gelu_backward(x, g, dx, n)
        case .geluTanh: ck_gelu_tanh_backward(x, g, dx, n)
        case .silu: ck_silu_backward(x, g, dx, n)
        case .leakyRelu(let slope): zip(x, g, dx, n) { x, g in x > 0 ? g : g * slope }
        case .elu(let alpha): for i in 0..<n { dx[i] = x[i] > 0 ? g[i] : g[i] * (y[i] + alpha) }
        case .softplus(let beta, let threshold): ck_softplus_backward(x, g, dx, n, beta, threshold)
        case .addScalar: map(g, dx, n) { $0 }
        case .rsubScalar: map(g, dx, n) { -$0 }
        case .mulScalar(let s): map(g, dx, n) { $0 * s }
        case .rdivScalar(let s): zip(x, g, dx, n) { x, g in -g * s / (x * x) }
        case .powScalar(let p):
            if p == 2 { zip(x, g, dx, n) { x, g in 2 * x * g } }
            else { zip(x, g, dx, n) { x, g in p == 0 ? 0 : g * p * powf(x, p - 1) } }
        case .clamp(let lo, let hi): zip(x, g, dx, n) { x, g in (x >= lo && x <= hi) ? g : 0 }
        }
    }

    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ f: (Float) -> Float) {
        for i in 0..<n { y[i] = f(x[i]) }
    }

    @inline(__always)
    static func zip(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                    _ f: (Float, Float) -> Float) {
        for i in 0..<n { y[i] = f(a[i], b[i]) }
    }
}
