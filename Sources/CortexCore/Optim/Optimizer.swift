// The optimiser base: the parameters it owns, its learning rate, per-parameter state, and saving
// and restoring that state so a resumed run continues exactly.
import CortexEngine

/// Updates parameters in place from their gradients. Subclasses implement `update`.
///
/// Built-in updates are one fused backend kernel per parameter, run on the parameter's device outside
/// autograd with no temporary tensors — the optimiser step is a memory-bound pass, not a chain of
/// tensor ops. Step counts live on the host (they drive bias corrections), so a step reads nothing back
/// from the device.
open class Optimizer: @unchecked Sendable {
    public let parameters: [Tensor]
    /// The current learning rate; schedules change it between steps.
    public var learningRate: Float
    /// Per-parameter state tensors by name (e.g. "exp_avg"), created on first use on the parameter's device.
    var state: [[String: Tensor]]
    /// Per-parameter step counters (PyTorch keeps one per parameter); nil before a parameter's first update.
    var parameterSteps: [Int?]
    /// Number of `step()` calls that updated parameters.
    public internal(set) var stepCount = 0

    public init(_ parameters: [Tensor], learningRate: Float) {
        require(learningRate >= 0, "optimizer: learning rate must be non-negative, got \(learningRate)")
        for p in parameters {
            // Frozen parameters are accepted (they get no gradient, so no update) so that freezing part of a
            // model needs no new optimiser.
            require(p.dtype == .float32 && p.isLeaf, "optimizer: parameters must be float32 leaf tensors (got \(p.dtype), shape \(p.shape))")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        state = Array(repeating: [:], count: parameters.count)
        parameterSteps = Array(repeating: nil, count: parameters.count)
    }

    /// Forgets every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.grad = nil } }

    /// Applies one update from the current gradients; parameters without a gradient are left alone.
    public func step() {
        stepCount += 1
        noGrad {
            for (i, p) in parameters.enumerated() {
                guard let g = p.grad else { continue }
                let grad = g.contiguousStorage()
                require(grad.shape == p.shape, "optimizer: gradient shape \(grad.shape) differs from parameter shape \(p.shape)")
                require(p.isContiguous, "optimizer: parameter of shape \(p.shape) is not contiguous")
                update(index: i, parameter: p, gradient: grad)
            }
        }
    }

    /// Updates parameter `index` in place from its (contiguous, same-shaped) gradient. Called inside
    /// `step()`, outside autograd. A custom optimiser can write it with tensor ops and `assign`.
    open func update(index: Int, parameter: Tensor, gradient: Tensor) {
        fatalError("\(type(of: self)) must override update(index:parameter:gradient:)")
    }

    /// The state tensor `name` of parameter `index`, created filled with `initial` on first use on the parameter's
    /// device. State made before the parameter moved (`Module.to(device:)`) moves after it here, so an optimiser
    /// keeps working across a move without being rebuilt.
    public func stateTensor(_ index: Int, _ name: String, initial: Float = 0) -> Tensor {
        if let t = state[index][name] {
            if t.device != parameters[index].device { t.relocate(to: parameters[index].device) }
            return t
        }
        let t = Tensor.full(parameters[index].shape, initial, device: parameters[index].device)
        state[index][name] = t
        return t
    }

    /// Advances parameter `index`'s step counter and returns the new count.
    public func advanceStep(_ index: Int) -> Int {
        let next = (parameterSteps[index] ?? 0) + 1
        parameterSteps[index] = next
        return next
    }

    // MARK: - Saving and restoring

    /// The optimiser's state as named tensors ("lr", "step_count", "state.<i>.<name>"), ready to be
    /// written into a checkpoint next to the model's weights.
    public func stateDict() -> [String: Tensor] {
        var result: [String: Tensor] = ["lr": Tensor(learningRate), "step_count": Self.countTensor(stepCount)]
        for (i, entries) in state.enumerated() {
            for (name, t) in entries { result["state.\(i).\(name)"] = t.contiguousStorage() }
        }
        for (i, steps) in parameterSteps.enumerated() {
            if let steps { result["state.\(i).step"] = Self.countTensor(steps) }
        }
        return result
    }

    /// Restores state saved by `stateDict()` for the same parameter list. Everything is checked before
    /// anything changes: the rate must be a finite non-negative scalar, step counts non-negative whole numbers
    /// (int64, or float32 as checkpoints before int64 counts stored them), and state tensors finite and of their
    /// parameter's shape; a bad entry throws a `StateDictError` naming it and leaves the optimiser as it was.
    public func loadStateDict(_ saved: [String: Tensor]) throws {
        guard let lr = saved["lr"], let steps = saved["step_count"] else {
            throw StateDictError("optimizer state needs 'lr' and 'step_count'")
        }
        let rate = try Self.scalar(lr, key: "lr")
        guard rate.isFinite && rate >= 0 else {
            throw StateDictError("optimizer state 'lr' is \(rate); a learning rate is a finite number ≥ 0")
        }
        let count = try Self.stepCount(steps, key: "step_count")
        var restored: [[String: Tensor]] = Array(repeating: [:], count: parameters.count)
        var restoredSteps: [Int?] = Array(repeating: nil, count: parameters.count)
        for (key, t) in saved where key.hasPrefix("state.") {
            let parts = key.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, let i = Int(parts[1]), i >= 0, i < parameters.count else {
                throw StateDictError("optimizer state key '\(key)' does not name one of \(parameters.count) parameters")
            }
            let name = String(parts[2])
            if name == "step" {
                restoredSteps[i] = try Self.stepCount(t, key: key)
                continue
            }
            guard t.shape == parameters[i].shape else {
                throw StateDictError("optimizer state '\(key)' has shape \(t.shape), expected \(parameters[i].shape)")
            }
            let copy = t.to(.float32).to(device: parameters[i].device).copied()
            if let bad = copy.scalars.first(where: { !$0.isFinite }) {
                throw StateDictError("optimizer state '\(key)' holds \(bad); saved state is finite")
            }
            restored[i][name] = copy
        }
        learningRate = rate
        stepCount = count
        state = restored
        parameterSteps = restoredSteps
    }

    /// The one value of a scalar (or one-element) entry.
    private static func scalar(_ t: Tensor, key: String) throws -> Float {
        guard t.count == 1 else {
            throw StateDictError("optimizer state '\(key)' has shape \(t.shape); it must hold exactly one value")
        }
        return t.item()
    }

    /// A step count as saved: int64, exact at any count (float32 holds every whole number only up to 2^24, 16.7M
    /// steps, which a long run passes).
    private static func countTensor(_ count: Int) -> Tensor { Tensor([count], shape: [], dtype: .int64) }

    /// A step counter: a non-negative int64, or a non-negative whole float32 from an older checkpoint (past 2^24 it
    /// was rounded when saved, by at most a few steps in millions, and loads as saved).
    private static func stepCount(_ t: Tensor, key: String) throws -> Int {
        guard t.count == 1 else {
            throw StateDictError("optimizer state '\(key)' has shape \(t.shape); it must hold exactly one value")
        }
        if t.dtype.isInteger {
            let value = t.int64Values[0]
            guard value >= 0 else { throw StateDictError("optimizer state '\(key)' is \(value); a step count is a whole number ≥ 0") }
            return Int(value)
        }
        let value = try scalar(t, key: key)
        guard value.isFinite, value >= 0, value <= 0x1p62, value == value.rounded() else {
            throw StateDictError("optimizer state '\(key)' is \(value); a step count is a whole number ≥ 0")
        }
        return Int(value)
    }
}
