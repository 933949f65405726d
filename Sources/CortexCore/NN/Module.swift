// Modules: the containers of parameters that networks are built from. Parameters and buffers are
// found by reflection over stored properties, so a layer never registers anything by hand.
import CortexEngine
import Foundation

/// The base class of every layer and model.
///
/// Stored properties of type `Tensor` are the module's state: tensors that require gradients are its
/// *parameters*, the others (running statistics, counters) its *buffers*. Stored properties holding
/// modules, arrays of modules or optionals of either are its children. Names follow PyTorch's
/// `state_dict`: Swift's `runningMean` in a child stored as `bn1` is `bn1.running_mean`, and array
/// elements are numbered (`layers.0.weight`).
///
/// Not `Sendable`: a model is built and trained on one thread at a time (a `Trainer` owns it), so a
/// subclass with `var` properties needs no `@unchecked Sendable` of its own.
open class Module {
    /// Whether the module is in training mode (dropout active, batch statistics used).
    public private(set) var training = true

    public init() {}

    // MARK: - Discovery

    /// What reflection finds in one stored property.
    enum Slot {
        case parameter(String, Tensor)
        case buffer(String, Tensor, persistent: Bool)
        case child(String, Module, holder: AnyChild?)
        case generator(String, RandomGenerator)
    }

    /// Where each slot's current value is read from: a value found once (a `let` property), or a property
    /// wrapper, which is a reference whose current value is read on every call.
    enum SlotSource {
        case fixed(Slot)
        case param(String, Param)
        case buffer(String, Buffer)
        case child(String, AnyChild)
    }

    /// The reflected layout of this module's stored properties, found on first use. Reflection walks every
    /// stored property through `Mirror`, which is slow; the layout of a module never changes, and the
    /// values that may change (through `@Param`, `@Buffer`, `@Child` or `replace`) are read through the
    /// wrapper each time.
    private var slotSources: [SlotSource]?
    /// How many times this module's properties were reflected (once, unless the cache is dropped).
    private(set) var reflectionCount = 0

    /// The module's own stored properties, classified, in declaration order (base class first). A plain
    /// `Tensor` (or `[Tensor]`) is a parameter, whether or not it is frozen; `@Buffer` marks buffers;
    /// `@Param` and `@Child` give keys of their own. Plain stored properties are read once, so declare
    /// them `let`; a tensor or child that is reassigned after `init` belongs in `@Param`, `@Buffer` or `@Child`.
    func slots() -> [Slot] {
        let sources = slotSources ?? reflectSlotSources()
        slotSources = sources
        return sources.map { source in
            switch source {
            case let .fixed(slot): slot
            case let .param(key, p): .parameter(key, p.wrappedValue)
            case let .buffer(key, b): .buffer(key, b.wrappedValue, persistent: b.persistent)
            case let .child(key, c): .child(key, c.module, holder: c)
            }
        }
    }

    private func reflectSlotSources() -> [SlotSource] {
        reflectionCount += 1
        var result: [SlotSource] = []
        forEachStoredProperty { label, value in
            let key = stateKey(label)
            switch value {
            case let t as Tensor: result.append(.fixed(.parameter(key, t)))
            case let ts as [Tensor]: for (i, t) in ts.enumerated() { result.append(.fixed(.parameter("\(key).\(i)", t))) }
            case let p as Param: result.append(.param(p.key ?? key, p))
            case let ps as [Param]: for (i, p) in ps.enumerated() { result.append(.param(p.key ?? "\(key).\(i)", p)) }
            case let b as Buffer: result.append(.buffer(b.key ?? key, b))
            case let c as AnyChild: result.append(.child(c.key ?? key, c))
            case let m as Module: result.append(.fixed(.child(key, m, holder: nil)))
            case let ms as [Module]: for (i, m) in ms.enumerated() { result.append(.fixed(.child("\(key).\(i)", m, holder: nil))) }
            case let g as RandomGenerator: result.append(.fixed(.generator(key, g)))
            default: break
            }
        }
        return result
    }

    /// The module's own state-dict tensors (parameters and persistent buffers, not its children's).
    open func namedLocalTensors() -> [(String, Tensor)] {
        slots().compactMap { slot in
            switch slot {
            case let .parameter(key, t): (key, t)
            case let .buffer(key, t, persistent): persistent ? (key, t) : nil
            default: nil
            }
        }
    }

    /// Direct children, by name.
    open func namedChildren() -> [(String, Module)] {
        slots().compactMap { if case let .child(key, m, _) = $0 { (key, m) } else { nil } }
    }

    /// Every state-dict tensor of this module and its descendants, with dotted names, in declaration order.
    public func namedTensors() -> [(String, Tensor)] {
        var result = namedLocalTensors()
        for (prefix, child) in namedChildren() {
            result += child.namedTensors().map { ("\(prefix).\($0.0)", $0.1) }
        }
        return result
    }

    /// Every parameter, frozen or not, with dotted names.
    public func namedParameters() -> [(String, Tensor)] {
        var result = slots().compactMap { if case let .parameter(key, t) = $0 { (key, t) } else { nil } }
        for (prefix, child) in namedChildren() {
            result += child.namedParameters().map { ("\(prefix).\($0.0)", $0.1) }
        }
        return result
    }

    /// Parameters, each once, in declaration order. Frozen ones are included (an optimiser skips them);
    /// `trainableParameters()` leaves them out.
    public func parameters() -> [Tensor] {
        var seen = Set<ObjectIdentifier>()
        return namedParameters().map(\.1).filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    /// Parameters that are not frozen.
    public func trainableParameters() -> [Tensor] { parameters().filter(\.requiresGrad) }

    /// Buffers (running statistics, caches), persistent or not, with dotted names.
    public func namedBuffers() -> [(String, Tensor)] {
        var result = slots().compactMap { if case let .buffer(key, t, _) = $0 { (key, t) } else { nil } }
        for (prefix, child) in namedChildren() {
            result += child.namedBuffers().map { ("\(prefix).\($0.0)", $0.1) }
        }
        return result
    }

    /// Random generators held by this module and its descendants (dropout's), by dotted name —
    /// saved in checkpoints so a resumed run draws the same random numbers.
    public func namedGenerators() -> [(String, RandomGenerator)] {
        var result = slots().compactMap { if case let .generator(key, g) = $0 { (key, g) } else { nil } }
        for (prefix, child) in namedChildren() {
            result += child.namedGenerators().map { ("\(prefix).\($0.0)", $0.1) }
        }
        return result
    }

    // MARK: - Freezing, updating, replacing

    /// Moves every parameter and buffer (persistent or not) of this module and its children to `device`, in
    /// place: optimisers built on the parameters keep working (their state follows each parameter at its next
    /// update). Returns self, for chaining.
    @discardableResult
    public func to(device: Device) -> Self {
        for module in modules() {
            for slot in module.slots() {
                switch slot {
                case let .parameter(_, t), let .buffer(_, t, _): t.relocate(to: device)
                default: break
                }
            }
        }
        return self
    }

    /// Stops gradients to every parameter of this module and its descendants; they stay parameters (in
    /// `parameters()` and the state dict), unlike PyTorch's buffers.
    public func freeze() { for p in parameters() { p.requiresGrad = false } }

    /// Lets gradients reach every parameter again.
    public func unfreeze() { for p in parameters() { p.requiresGrad = true } }

    /// Copies `parameters` (by dotted name) into this module's parameters; names it does not have are an
    /// error, and every shape is checked before anything is copied. Parameters not named keep their values.
    public func update(parameters: [String: Tensor]) throws {
        let own = Dictionary(namedParameters(), uniquingKeysWith: { first, _ in first })
        let unknown = parameters.keys.filter { own[$0] == nil }.sorted()
        guard unknown.isEmpty else { throw StateDictError("update(parameters:): no parameters named \(unknown)") }
        for (name, t) in parameters where t.shape != own[name]!.shape {
            throw StateDictError("update(parameters:): '\(name)' has shape \(t.shape), the parameter \(own[name]!.shape)")
        }
        for (name, t) in parameters { noGrad { own[name]!.assign(t) } }
    }

    /// Puts `module` in place of the descendant at dotted `path` ("encoder.layers.0"), e.g. a `Linear`
    /// by its quantised form. The child must be held by `@Child`, or be an element of a `Sequential`.
    public func replace(_ path: String, with module: Module) throws {
        let parts = path.split(separator: ".").map(String.init)
        guard let last = parts.last else { throw StateDictError("replace: empty path") }
        var parent: Module = self
        for part in parts.dropLast() {
            guard let next = parent.namedChildren().first(where: { $0.0 == part })?.1 else {
                throw StateDictError("replace: no child '\(part)' on the way to '\(path)'")
            }
            parent = next
        }
        try parent.replaceChild(named: last, with: module, path: path)
    }

    /// Replaces the direct child `name`; `Sequential` overrides this for its layers.
    open func replaceChild(named name: String, with module: Module, path: String) throws {
        for slot in slots() {
            guard case let .child(key, _, holder) = slot, key == name else { continue }
            guard let holder else {
                throw StateDictError("replace: '\(path)' is a plain stored property; declare it with @Child to make it replaceable")
            }
            guard holder.replace(with: module) else {
                throw StateDictError("replace: \(type(of: module)) does not fit '\(path)', declared as \(type(of: holder.module))")
            }
            return
        }
        throw StateDictError("replace: no child '\(name)' in '\(path)'")
    }

    /// This module and every descendant, depth first.
    public func modules() -> [Module] { [self] + namedChildren().flatMap { $0.1.modules() } }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    // MARK: - Modes

    /// Puts this module and its descendants in training (true) or evaluation (false) mode.
    public func train(_ mode: Bool = true) {
        for m in modules() { m.training = mode }
    }

    /// Evaluation mode: dropout off, running statistics used.
    public func eval() { train(false) }

    /// Clears the gradients of every parameter.
    public func zeroGrad() { for p in parameters() { p.grad = nil } }

    // MARK: - State dict

    /// Every parameter and buffer by PyTorch-style name; the tensors are the module's own (not copies).
    public func stateDict() -> [String: Tensor] {
        Dictionary(namedTensors(), uniquingKeysWith: { first, _ in first })
    }

    /// Copies values from `state` into this module's tensors (shapes must match). With `strict`,
    /// missing and unexpected names are errors, as in PyTorch's load_state_dict.
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws {
        let own = stateDict()
        if strict {
            let missing = own.keys.filter { state[$0] == nil }.sorted()
            let unexpected = state.keys.filter { own[$0] == nil }.sorted()
            if !missing.isEmpty || !unexpected.isEmpty {
                throw StateDictError("missing keys \(missing), unexpected keys \(unexpected)")
            }
        }
        // Check every shape before copying anything, so a bad state dict leaves the model untouched.
        for (name, target) in own {
            if let source = state[name], source.shape != target.shape {
                throw StateDictError("'\(name)' has shape \(source.shape) in the state dict but \(target.shape) in the model")
            }
        }
        for (name, target) in own {
            if let source = state[name] { noGrad { target.assign(source) } }
        }
    }

    // MARK: - Reflection

    /// Visits stored properties from the most derived class up to (not including) Module.
    /// Optionals are unwrapped; `nil` values are skipped.
    private func forEachStoredProperty(_ body: (String, Any) -> Void) {
        var mirror: Mirror? = Mirror(reflecting: self)
        var chain: [Mirror] = []
        while let m = mirror, m.subjectType != Module.self {
            chain.append(m)
            mirror = m.superclassMirror
        }
        // Base-class properties first, so names come out in declaration order.
        for m in chain.reversed() {
            for child in m.children {
                guard let label = child.label else { continue }
                let value = unwrapOptional(child.value)
                if let value { body(label, value) }
            }
        }
    }
}

/// Unwraps `Optional<T>` held in an `Any`; returns nil for `.none`.
private func unwrapOptional(_ value: Any) -> Any? {
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .optional else { return value }
    return mirror.children.first?.value
}

/// PyTorch's name for a Swift property: a leading underscore (property wrappers) dropped,
/// lowerCamelCase to snake_case (`runningMean` → `running_mean`).
func stateKey(_ label: String) -> String {
    let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
    var result = ""
    for ch in name {
        if ch.isUppercase {
            if !result.isEmpty { result.append("_") }
            result.append(Character(ch.lowercased()))
        } else {
            result.append(ch)
        }
    }
    return result
}

/// A state dict that does not fit the module it is loaded into.
public struct StateDictError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = "load_state_dict: " + description }
}

/// A module mapping one tensor to one tensor — what `Sequential` chains.
public protocol Layer: Module {
    func callAsFunction(_ input: Tensor) -> Tensor
}
