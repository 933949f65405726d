// Element-wise math of one tensor: exp, log, sqrt, abs, trig, clamp … Each forward kernel and its
// derivative live side by side in the engine's `UnaryOp` table; this file makes them tensor ops.
import CortexEngine

extension UnaryOp {
    /// The op's constants as a trace records them (slope, alpha, bounds, the scalar operand…).
    var attributes: [String: OpAttribute] {
        switch self {
        case .leakyRelu(let slope): ["negative_slope": .float(slope)]
        case .elu(let alpha): ["alpha": .float(alpha)]
        case .softplus(let beta, let threshold): ["beta": .float(beta), "threshold": .float(threshold)]
        case .addScalar(let s), .mulScalar(let s), .rsubScalar(let s), .rdivScalar(let s): ["scalar": .float(s)]
        case .powScalar(let e): ["exponent": .float(e)]
        case .clamp(let lo, let hi): ["min": .float(lo), "max": .float(hi)]
        default: [:]
        }
    }

    /// Which forward values the derivative reads, so the graph keeps only what it needs.
    var backwardReads: (input: Bool, output: Bool) {
        switch self {
        case .sqrt, .reciprocal, .exp, .sigmoid, .tanh: (false, true)
        case .elu: (true, true)
        case .neg, .addScalar, .rsubScalar, .mulScalar, .sign, .floor, .ceil, .round: (false, false)
        default: (true, false)
        }
    }
}

extension Tensor {
    /// Applies an engine unary op and records its derivative.
    func unary(_ op: UnaryOp, _ name: String) -> Tensor {
        requireFloat(name)
        let x = contiguousStorage()
        let y = makeOutput(shape)
        backend.unary(op, x.operand, into: y.operand)
        guard Tensor.needsGrad(self) else {
            Tracer.current?.record(name, attributes: op.attributes, inputs: [self], output: y)   // the fast path is still an op
            return y
        }
        let reads = op.backwardReads
        let savedX = reads.input ? x.detach() : nil, savedY = reads.output ? y.detach() : nil
        return y.recordingGrad(name, attributes: op.attributes, inputs: [self]) { g in
            let gc = g.contiguousStorage()
            let dx = gc.makeOutput(gc.shape)
            gc.backend.unaryBackward(op, input: savedX?.operand, output: savedY?.operand, gradient: gc.operand, into: dx.operand)
            return [dx]
        }
    }

    public func exp() -> Tensor { unary(.exp, "exp") }
    public func log() -> Tensor { unary(.log, "log") }
    public func sqrt() -> Tensor { unary(.sqrt, "sqrt") }
    /// 1/√x.
    public func rsqrt() -> Tensor { sqrt().reciprocal() }
    public func abs() -> Tensor { unary(.abs, "abs") }
    public func sin() -> Tensor { unary(.sin, "sin") }
    public func cos() -> Tensor { unary(.cos, "cos") }
    public func square() -> Tensor { unary(.square, "square") }
    public func reciprocal() -> Tensor { unary(.reciprocal, "reciprocal") }
    public func neg() -> Tensor { unary(.neg, "neg") }
    /// −1, 0 or 1 (zero gradient).
    public func sign() -> Tensor { unary(.sign, "sign") }
    public func floor() -> Tensor { unary(.floor, "floor") }
    public func ceil() -> Tensor { unary(.ceil, "ceil") }
    public func round() -> Tensor { unary(.round, "round") }
    public func tanh() -> Tensor { unary(.tanh, "tanh") }
    public func sigmoid() -> Tensor { unary(.sigmoid, "sigmoid") }

    /// Values limited to [min, max]; the gradient passes where min ≤ x ≤ max, as in PyTorch.
    public func clamped(min lo: Float = -.infinity, max hi: Float = .infinity) -> Tensor {
        require(!(lo > hi), "clamp: min \(lo) is greater than max \(hi)")
        return unary(.clamp(min: lo, max: hi), "clamp")
    }
}
