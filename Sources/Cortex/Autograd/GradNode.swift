// One recorded operation in the autograd graph: its inputs and the rule that maps the gradient of
// its output to gradients of those inputs.

final class GradNode {
    /// Name of the op, shown when something goes wrong ("backward of matmul ...").
    let name: String
    var inputs: [Tensor]
    /// Gradient of the output in, gradients of each input out (nil where an input needs none).
    /// Set to nil once the graph has been freed by `backward()`.
    var backward: ((Tensor) -> [Tensor?])?

    init(name: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

extension Tensor {
    /// Links `self` (a fresh op result) to its inputs when gradients are being recorded and some input
    /// needs them. The rule must not capture `self` strongly (that would be a cycle): capture a
    /// `detach()`ed copy of the result instead.
    @discardableResult
    func recordingGrad(_ name: String, inputs: [Tensor], _ rule: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
            gradNode = GradNode(name: name, inputs: inputs, backward: rule)
        }
        return self
    }

    /// Whether a recorded op should spend work on its backward state.
    static func needsGrad(_ inputs: Tensor...) -> Bool {
        GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    }
}
