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

    /// The module's own tensors (not its children's), by state-dict name.
    open func namedLocalTensors() -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        forEachStoredProperty { label, value in
            if let t = value as? Tensor { result.append((stateKey(label), t)) }
            if let ts = value as? [Tensor] { for (i, t) in ts.enumerated() { result.append(("\(stateKey(label)).\(i)", t)) } }
        }
        return result
    }

    /// Direct children, by name.
    open func namedChildren() -> [(String, Module)] {
        var result: [(String, Module)] = []
        forEachStoredProperty { label, value in
            if let m = value as? Module { result.append((stateKey(label), m)) }
            if let ms = value as? [Module] { for (i, m) in ms.enumerated() { result.append(("\(stateKey(label)).\(i)", m)) } }
        }
        return result
    }

    /// Every tensor of this module and its descendants, with dotted names, in declaration order.
    public func namedTensors() -> [(String, Tensor)] {
        var result = namedLocalTensors()
        for (prefix, child) in namedChildren() {
            result += child.namedTensors().map { ("\(prefix).\($0.0)", $0.1) }
        }
        return result
    }

    /// Trainable tensors (those that require gradients), with dotted names.
    public func namedParameters() -> [(String, Tensor)] { namedTensors().filter { $0.1.requiresGrad } }

    /// Trainable tensors, each once, in declaration order — what an optimiser updates.
    public func parameters() -> [Tensor] {
        var seen = Set<ObjectIdentifier>()
        return namedParameters().map(\.1).filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    /// Non-trainable state (running statistics and the like), with dotted names.
    public func namedBuffers() -> [(String, Tensor)] { namedTensors().filter { !$0.1.requiresGrad } }

    /// Random generators held by this module and its descendants (dropout's), by dotted name —
    /// saved in checkpoints so a resumed run draws the same random numbers.
    public func namedGenerators() -> [(String, RandomGenerator)] {
        var result: [(String, RandomGenerator)] = []
        forEachStoredProperty { label, value in
            if let g = value as? RandomGenerator { result.append((stateKey(label), g)) }
        }
        for (prefix, child) in namedChildren() {
            result += child.namedGenerators().map { ("\(prefix).\($0.0)", $0.1) }
        }
        return result
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
