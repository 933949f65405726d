// Arithmetic with NumPy/PyTorch broadcasting: + − × ÷, pow, maximum/minimum, and their
// scalar forms. Forward and backward of each op side by side.
import CortexEngine

/// The shape two operands broadcast to, or a stop naming the op and both shapes.
func broadcastShapes(_ a: [Int], _ b: [Int], op: String) -> [Int] {
    let rank = max(a.count, b.count)
    var out = Array(repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        require(x == y || x == 1 || y == 1, "\(op): shapes \(a) and \(b) cannot be broadcast together")
        out[i] = x == 1 ? y : x
    }
    return out
}

extension Tensor {
    /// Strides that read this tensor as if expanded to `target` (0 on broadcast axes).
    func broadcastStrides(to target: [Int]) -> [Int] {
        let lead = target.count - rank
        return target.indices.map { i in
            i < lead || shape[i - lead] == 1 ? 0 : strides[i - lead]
        }
    }

    /// This tensor read as if expanded to `target`, as a kernel argument.
    func broadcastOperand(to target: [Int]) -> Operand {
        Operand(storage, Layout(shape: target, strides: broadcastStrides(to: target), offset: offset), dtype)
    }

    func requireFloat(_ op: String) {
        require(dtype == .float32, "\(op): expects float32 tensors, got \(dtype); convert with .to(.float32)")
    }

    /// Runs a binary kernel with broadcasting; no autograd.
    static func binaryKernel(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, name: String) -> Tensor {
        a.requireFloat(name); b.requireFloat(name)
        let shape = broadcastShapes(a.shape, b.shape, op: name)
        let out = a.makeOutput(shape)
        a.backend.binary(op, a.broadcastOperand(to: shape), b.broadcastOperand(to: shape), into: out.operand)
        return out
    }

    // MARK: - The four operations

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binaryKernel(.add, a, b, name: "add").recordingGrad("add", inputs: [a, b]) { g in
            [a.requiresGrad ? g.sumToShape(a.shape) : nil, b.requiresGrad ? g.sumToShape(b.shape) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binaryKernel(.sub, a, b, name: "sub").recordingGrad("sub", inputs: [a, b]) { g in
            [a.requiresGrad ? g.sumToShape(a.shape) : nil, b.requiresGrad ? (-g).sumToShape(b.shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binaryKernel(.mul, a, b, name: "mul").recordingGrad("mul", inputs: [a, b]) { g in
            [a.requiresGrad ? (g * b.detach()).sumToShape(a.shape) : nil,
             b.requiresGrad ? (g * a.detach()).sumToShape(b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binaryKernel(.div, a, b, name: "div").recordingGrad("div", inputs: [a, b]) { g in
            let x = a.detach(), y = b.detach()
            return [a.requiresGrad ? (g / y).sumToShape(a.shape) : nil,
                    b.requiresGrad ? (-g * x / (y * y)).sumToShape(b.shape) : nil]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor { a.unary(.neg, "neg") }

    // MARK: - Scalars

    public static func + (a: Tensor, s: Float) -> Tensor { a.unary(.addScalar(s), "add") }
    public static func + (s: Float, a: Tensor) -> Tensor { a.unary(.addScalar(s), "add") }
    public static func - (a: Tensor, s: Float) -> Tensor { a.unary(.addScalar(-s), "sub") }
    public static func - (s: Float, a: Tensor) -> Tensor { a.unary(.rsubScalar(s), "rsub") }
    public static func * (a: Tensor, s: Float) -> Tensor { a.unary(.mulScalar(s), "mul") }
    public static func * (s: Float, a: Tensor) -> Tensor { a.unary(.mulScalar(s), "mul") }
    public static func / (a: Tensor, s: Float) -> Tensor { a.unary(.mulScalar(1 / s), "div") }
    public static func / (s: Float, a: Tensor) -> Tensor { a.unary(.rdivScalar(s), "rdiv") }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }

    // MARK: - Powers and extrema

    /// self raised to `exponent` element-wise, with broadcasting.
    public func pow(_ exponent: Tensor) -> Tensor {
        let base = self
        let out = Tensor.binaryKernel(.pow, base, exponent, name: "pow")
        let result = out.detach()
        return out.recordingGrad("pow", inputs: [base, exponent]) { g in
            let x = base.detach(), e = exponent.detach()
            // d/dx x^e = e·x^(e−1), taken as 0 where e = 0 (PyTorch's convention).
            let dx = base.requiresGrad
                ? Tensor.where(e.eq(0), g.constant(0), g * e * x.pow(e - 1)).sumToShape(base.shape) : nil
            // d/de x^e = x^e·log x, taken as 0 where x = 0 and e ≥ 0.
            let de = exponent.requiresGrad
                ? Tensor.where(x.eq(0) & e.ge(0), g.constant(0), g * result * x.log()).sumToShape(exponent.shape) : nil
            return [dx, de]
        }
    }

    /// self raised to a constant power.
    public func pow(_ exponent: Float) -> Tensor { unary(.powScalar(exponent), "pow") }

    /// Element-wise maximum; ties send half the gradient to each side, as in PyTorch.
    public func maximum(_ other: Tensor) -> Tensor { extremum(other, max: true) }

    /// Element-wise minimum; ties send half the gradient to each side, as in PyTorch.
    public func minimum(_ other: Tensor) -> Tensor { extremum(other, max: false) }

    private func extremum(_ other: Tensor, max isMax: Bool) -> Tensor {
        let a = self, b = other, name = isMax ? "maximum" : "minimum"
        return Tensor.binaryKernel(isMax ? .maximum : .minimum, a, b, name: name).recordingGrad(name, inputs: [a, b]) { g in
            let x = a.detach(), y = b.detach()
            let tie = x.eq(y).to(.float32) * 0.5
            let aWins = (isMax ? x.gt(y) : x.lt(y)).to(.float32)
            let bWins = (isMax ? x.lt(y) : x.gt(y)).to(.float32)
            return [a.requiresGrad ? (g * (aWins + tie)).sumToShape(a.shape) : nil,
                    b.requiresGrad ? (g * (bWins + tie)).sumToShape(b.shape) : nil]
        }
    }
}
