// Recording a forward pass as a graph of ops — kind, attributes, inputs, output shape, parameters and
// FLOPs — for inspection now and for exporters (ONNX), fusion and serving plans later. It sees the ops
// through the same door autograd does, so it works with gradients off and in evaluation mode.

/// One op of a traced forward pass.
public struct TracedOp: Sendable {
    /// Position in the graph (`%index` in listings).
    public let index: Int
    public let kind: String
    public let attributes: [String: OpAttribute]
    /// Where each input comes from: `%3` (an earlier op), `input.0`, or a parameter's dotted name.
    public let inputs: [String]
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    /// Parameters among the inputs (a layer's weight and bias), counted once each.
    public let parameterCount: Int
    /// Floating-point operations of this op (see `Tracer.flops`).
    public let flops: Int
}

/// A forward pass as data.
public struct TracedGraph: Sendable, CustomStringConvertible {
    public let inputShapes: [[Int]]
    public let ops: [TracedOp]
    public var totalFLOPs: Int { ops.reduce(0) { $0 + $1.flops } }
    public var totalParameters: Int { ops.reduce(0) { $0 + $1.parameterCount } }

    /// One line per op — index, output shape, parameters, FLOPs, then the op with its inputs and
    /// attributes (last, as it is the longest) — and the totals.
    public var description: String {
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        func row(_ index: String, _ output: String, _ params: String, _ flops: String, _ op: String) -> String {
            index.padding(toLength: 5, withPad: " ", startingAt: 0) + output.padding(toLength: 18, withPad: " ", startingAt: 0)
                + params.leftPadded(8) + flops.leftPadded(12) + "  " + op
        }
        var lines = [inputShapes.enumerated().map { "input.\($0.offset) \(shape($0.element))" }.joined(separator: "  ")]
        lines.append(row("", "output", "params", "FLOPs", "op"))
        for op in ops {
            let attributes = op.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            let call = "\(op.kind)(\(op.inputs.joined(separator: ", "))\(attributes.isEmpty ? "" : "; " + attributes))"
            lines.append(row("%\(op.index)", shape(op.outputShape), "\(op.parameterCount)", "\(op.flops)", call))
        }
        lines.append("total: \(ops.count) ops, \(totalParameters) parameters, \(totalFLOPs) FLOPs")
        return lines.joined(separator: "\n")
    }
}

/// Records the ops a closure runs.
///
/// ```swift
/// model.eval()
/// let graph = noGrad { Tracer.trace(model, inputs: [Tensor.zeros([1, 1, 28, 28])]) { model($0[0]) } }
/// print(graph)           // op by op, with shapes, parameters and FLOPs
/// ```
public enum Tracer {
    @TaskLocal static var current: TraceRecorder?

    /// Runs `body` on `inputs` and returns every op it recorded, naming `module`'s parameters and buffers.
    /// Ops none of whose inputs came from the inputs, the parameters or earlier ops (scratch work inside
    /// another op) are left out.
    public static func trace(_ module: Module? = nil, inputs: [Tensor], _ body: ([Tensor]) -> Tensor) -> TracedGraph {
        let recorder = TraceRecorder()
        for (i, t) in inputs.enumerated() { recorder.name(t, "input.\(i)", isParameter: false) }
        for (name, t) in module?.namedParameters() ?? [] { recorder.name(t, name, isParameter: true) }
        for (name, t) in module?.namedBuffers() ?? [] { recorder.name(t, name, isParameter: false) }
        let output = $current.withValue(recorder) { body(inputs) }
        return TracedGraph(inputShapes: inputs.map(\.shape), ops: recorder.opsLeadingTo(output))
    }

    /// FLOPs of one op, by the usual conventions: a multiply-add is 2 (matmul, linear, convolution, plus
    /// one per output for a bias); an element-wise op is 1 per output element; a reduction 1 per input
    /// element; pooling 1 per window element; softmax 3 per element (exp, sum, divide); batch norm 2 per
    /// element in evaluation (a fused scale and shift) and 5 when it computes batch statistics, as layer
    /// and group norm always do; views, copies and gathers 0.
    public static func flops(kind: String, attributes: [String: OpAttribute], inputShapes: [[Int]], outputShape: [Int]) -> Int {
        let out = outputShape.reduce(1, *)
        func count(_ i: Int) -> Int { i < inputShapes.count ? inputShapes[i].reduce(1, *) : 0 }
        switch kind {
        case "linear":
            let k = inputShapes[0].last ?? 0
            return 2 * out * k + (inputShapes.count > 2 ? out : 0)
        case "matmul":
            let k = inputShapes[0].last ?? 0
            return 2 * out * k
        case "conv1d", "conv2d", "conv_transpose2d":
            // Weight (O, I/groups, k…) for convolution; each output sums I/groups × kernel products.
            let w = inputShapes[1], perOutput = w.dropFirst().reduce(1, *)
            if kind == "conv_transpose2d" { return 2 * count(0) * w.dropFirst().reduce(1, *) + (inputShapes.count > 2 ? out : 0) }
            return 2 * out * perOutput + (inputShapes.count > 2 ? out : 0)
        case "max_pool2d", "avg_pool2d":
            if case .ints(let kernel)? = attributes["kernel"] { return out * kernel.reduce(1, *) }
            return out
        case "adaptive_avg_pool2d", "sum", "mean", "amax", "amin", "logsumexp", "var", "cumsum":
            return count(0)
        case "softmax", "log_softmax":
            return 3 * out
        case "batch_norm":
            if case .bool(false)? = attributes["training"] { return 2 * out }
            return 5 * out
        case "layer_norm", "group_norm":
            return 5 * out
        case "reshape", "permute", "expand", "slice", "squeeze", "unsqueeze", "contiguous", "cat", "index_select",
             "gather", "embedding", "to(float32)", "where", "scatter_add", "flatten":
            return 0
        default:
            return out   // element-wise: add, mul, relu, gelu, exp, …
        }
    }
}

/// The graph being built by a running trace. Keeps every tensor it has named alive, so that no address
/// is reused by a later tensor while the trace runs.
final class TraceRecorder: @unchecked Sendable {
    /// Where a traced tensor comes from: an input or a module's tensor (by name), or a recorded op.
    private enum Source {
        case named(String)
        case op(Int)
    }

    /// An op as recorded, before pruning and numbering.
    private struct Recorded {
        let kind: String
        let attributes: [String: OpAttribute]
        let sources: [Source?]
        let inputShapes: [[Int]]
        let outputShape: [Int]
        let parameterCount: Int
        let flops: Int
    }

    private var sources: [ObjectIdentifier: Source] = [:]
    private var parameterIDs: Set<ObjectIdentifier> = []
    /// When set, each recorded op's output is read from the device and checked for NaN and ±∞, and the first
    /// op to hold one is remembered (`Tracer.firstNonFinite`).
    var watchesNonFinite = false
    private(set) var firstNonFinite: (index: Int, inputsFinite: Bool)?
    private var kept: [Tensor] = []
    private var recorded: [Recorded] = []

    /// The ops `output` depends on (scratch ops inside another op, such as reshaping a bias, are not),
    /// numbered in order.
    func opsLeadingTo(_ output: Tensor) -> [TracedOp] {
        guard case .op(let end)? = sources[ObjectIdentifier(output)] else { return [] }
        var needed = Set([end])
        for index in stride(from: end, through: 0, by: -1) where needed.contains(index) {
            for case .op(let i)? in recorded[index].sources { needed.insert(i) }
        }
        var number: [Int: Int] = [:]
        return recorded.indices.filter(needed.contains).map { index in
            let op = recorded[index]
            number[index] = number.count
            let inputs = op.sources.enumerated().map { position, source in
                switch source {
                case .named(let name)?: name
                case .op(let i)?: "%\(number[i]!)"
                case nil: "const\(position)"
                }
            }
            return TracedOp(index: number[index]!, kind: op.kind, attributes: op.attributes, inputs: inputs,
                            inputShapes: op.inputShapes, outputShape: op.outputShape, parameterCount: op.parameterCount,
                            flops: op.flops)
        }
    }

    func name(_ t: Tensor, _ name: String, isParameter: Bool) {
        remember(t, as: .named(name))
        if isParameter { parameterIDs.insert(ObjectIdentifier(t)) }
    }

    /// Keeps `t` alive for the trace, so that no later tensor reuses its address.
    private func remember(_ t: Tensor, as source: Source) {
        let id = ObjectIdentifier(t)
        guard sources[id] == nil else { return }
        sources[id] = source
        kept.append(t)
    }

    func record(_ kind: String, attributes: [String: OpAttribute], inputs: [Tensor], output: Tensor) {
        let inputSources = inputs.map { sources[ObjectIdentifier($0)] }
        guard inputSources.contains(where: { $0 != nil }) else { return }
        var counted = Set<ObjectIdentifier>()
        let parameters = inputs.filter { parameterIDs.contains(ObjectIdentifier($0)) && counted.insert(ObjectIdentifier($0)).inserted }
            .reduce(0) { $0 + $1.count }
        let shapes = inputs.map(\.shape)
        recorded.append(Recorded(kind: kind, attributes: attributes, sources: inputSources, inputShapes: shapes,
                                 outputShape: output.shape, parameterCount: parameters,
                                 flops: Tracer.flops(kind: kind, attributes: attributes, inputShapes: shapes, outputShape: output.shape)))
        remember(output, as: .op(recorded.count - 1))
        if watchesNonFinite && firstNonFinite == nil && !isFinite(output) {
            firstNonFinite = (recorded.count - 1, inputs.allSatisfy(isFinite))
        }
    }

    private func isFinite(_ t: Tensor) -> Bool { t.dtype != .float32 || t.scalars.allSatisfy(\.isFinite) }

    /// Recorded op `index` as the tracer lists it: `kind(inputs)`, inputs named as in `TracedGraph` (`%k` the
    /// output of op k in recording order, a parameter by its dotted name), with the layers whose parameters it reads.
    func describeRecorded(_ index: Int) -> (call: String, layers: [String]) {
        let op = recorded[index]
        var layers: [String] = []
        let inputs = op.sources.enumerated().map { position, source -> String in
            switch source {
            case .named(let name)?:
                if !name.hasPrefix("input."), let dot = name.lastIndex(of: ".") { layers.append(String(name[..<dot])) }
                return name
            case .op(let i)?: return "%\(i)"
            case nil: return "const\(position)"
            }
        }
        return ("\(op.kind)(\(inputs.joined(separator: ", ")))", Array(Set(layers)).sorted())
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
