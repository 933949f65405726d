// Where a NaN or an infinity came from: the forward pass replayed op by op until one op's output holds one —
// the question PyTorch answers with torch.autograd.detect_anomaly, answered here from the recorded ops.

/// The first place a non-finite value appeared in a forward pass.
public struct NonFiniteOrigin: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The op as the tracer lists it (`log(%12)`, `linear(%3, body.3.weight, body.3.bias)`), or the name of a
    /// parameter that already held NaN or ±∞ before the pass began.
    public var op: String
    /// The layers whose parameters that op reads (empty for a loss or a free-standing op).
    public var layers: [String]
    /// Whether the op's inputs were all finite: true means this op made the first NaN or ±∞ (log of zero, an
    /// overflow); false means a parameter was already non-finite, so an earlier update is to blame.
    public var inputsFinite: Bool

    public init(op: String, layers: [String], inputsFinite: Bool) {
        (self.op, self.layers, self.inputsFinite) = (op, layers, inputsFinite)
    }

    public var description: String {
        let place = layers.isEmpty ? "" : " in \(layers.joined(separator: ", "))"
        return inputsFinite
            ? "the first NaN or infinity came from \(op)\(place), whose inputs were finite"
            : "\(op)\(place) was already NaN or infinite: an earlier update (too high a learning rate, exploding gradients) made it so"
    }
}

extension Tracer {
    /// Runs `body` on `inputs` and names the first op whose output holds NaN or ±∞ (nil when none does).
    /// Every op's output is read from the device, so this is a tool for after a failure, not for every step.
    /// A parameter or buffer of `module` that is already non-finite is reported before anything runs.
    public static func firstNonFinite(_ module: Module?, inputs: [Tensor], _ body: ([Tensor]) -> Tensor) -> NonFiniteOrigin? {
        for (name, t) in (module?.namedParameters() ?? []) + (module?.namedBuffers() ?? [])
        where t.dtype == .float32 && !t.scalars.allSatisfy(\.isFinite) {
            let layer = name.lastIndex(of: ".").map { String(name[..<$0]) }
            return NonFiniteOrigin(op: name, layers: layer.map { [$0] } ?? [], inputsFinite: false)
        }
        let recorder = TraceRecorder()
        recorder.watchesNonFinite = true
        for (i, t) in inputs.enumerated() { recorder.name(t, "input.\(i)", isParameter: false) }
        for (name, t) in module?.namedParameters() ?? [] { recorder.name(t, name, isParameter: true) }
        for (name, t) in module?.namedBuffers() ?? [] { recorder.name(t, name, isParameter: false) }
        _ = $current.withValue(recorder) { body(inputs) }
        guard let (index, inputsFinite) = recorder.firstNonFinite else { return nil }
        let (call, layers) = recorder.describeRecorded(index)
        return NonFiniteOrigin(op: call, layers: layers, inputsFinite: inputsFinite)
    }
}
