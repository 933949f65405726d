// One recorded operation in the autograd graph: what it is (its kind and attributes, as data a
// tracer or exporter can read), its inputs, and the rule that maps the gradient of its output to
// gradients of those inputs.

/// An attribute of a recorded op: a stride, a padding, an axis, an epsilon.
public enum OpAttribute: Sendable, Equatable, CustomStringConvertible {
    case int(Int), ints([Int]), float(Float), bool(Bool)

    public var description: String {
        switch self {
        case .int(let v): "\(v)"
        case .ints(let v): "[" + v.map(String.init).joined(separator: ", ") + "]"
        case .float(let v): "\(v)"
        case .bool(let v): "\(v)"
        }
    }
}

final class GradNode {
    /// Kind of the op ("conv2d", "matmul"), also shown when something goes wrong.
    let name: String
    let attributes: [String: OpAttribute]
    var inputs: [Tensor]
    /// Gradient of the output in, gradients of each input out (nil where an input needs none).
    /// Set to nil once the graph has been freed by `backward()`.
    var backward: ((Tensor) -> [Tensor?])?

    init(name: String, attributes: [String: OpAttribute], inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.name = name
        self.attributes = attributes
        self.inputs = inputs
        self.backward = backward
    }
}

extension Tensor {
    /// Links `self` (a fresh op result) to its inputs when gradients are being recorded and some input
    /// needs them. The rule must not capture `self` strongly (that would be a cycle): capture a
    /// `detach()`ed copy of the result instead.
    ///
    /// Every op passes through here, with or without gradients, so a running `Tracer` sees it too.
    @discardableResult
    func recordingGrad(_ name: String, attributes: [String: OpAttribute] = [:], inputs: [Tensor],
                       _ rule: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        Tracer.current?.record(name, attributes: attributes, inputs: inputs, output: self)
        if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
            gradNode = GradNode(name: name, attributes: attributes, inputs: inputs, backward: rule)
        }
        return self
    }

    /// Whether a recorded op should spend work on its backward state.
    static func needsGrad(_ inputs: Tensor...) -> Bool {
        GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    }
}
