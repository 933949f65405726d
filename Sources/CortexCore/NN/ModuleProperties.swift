// Saying what a module's stored property is, where reflection alone cannot tell: a buffer rather than
// a parameter (and whether the state dict keeps it), or a state-dict key other than the property's
// name — Hugging Face's `LayerNorm.weight` and `attention.self.query` cannot be Swift property names.

/// A tensor the module keeps but does not train: running statistics, a cached mask. A persistent
/// buffer is in the state dict (as PyTorch's `register_buffer`); a non-persistent one is not, so a
/// cache never lands in a checkpoint. Freezing never turns a parameter into a buffer, nor the reverse.
///
/// ```swift
/// @Buffer var runningMean: Tensor
/// @Buffer(persistent: false) var causalMask: Tensor
/// ```
@propertyWrapper
public final class Buffer {
    public var wrappedValue: Tensor
    public let persistent: Bool
    /// The state-dict key, when not the property's snake_case name.
    public let key: String?

    public init(wrappedValue: Tensor, persistent: Bool = true, key: String? = nil) {
        self.wrappedValue = wrappedValue
        self.persistent = persistent
        self.key = key
    }
}

/// A parameter under a state-dict key of its own: `@Param(key: "gamma") var weight: Tensor`. A plain
/// stored `Tensor` is a parameter too, named after the property.
@propertyWrapper
public final class Param {
    public var wrappedValue: Tensor
    public let key: String?

    public init(wrappedValue: Tensor, key: String? = nil) {
        self.wrappedValue = wrappedValue
        self.key = key
    }
}

/// A child module under a state-dict key of its own: `@Child(key: "LayerNorm") var layerNorm: LayerNorm`.
/// A plain stored module is a child too, named after the property. Its module can be replaced, through
/// the property or `Module.replace(_:with:)`, e.g. a `Linear` by its quantised form.
@propertyWrapper
public final class Child<M: Module> {
    public var wrappedValue: M
    public let key: String?

    public init(wrappedValue: M, key: String? = nil) {
        self.wrappedValue = wrappedValue
        self.key = key
    }
}

/// Lets reflection read and replace a `Child` of any module type.
protocol AnyChild: AnyObject {
    var key: String? { get }
    var module: Module { get }
    /// Puts `module` in place, or says why it cannot (it is not of the declared type).
    func replace(with module: Module) -> Bool
}

extension Child: AnyChild {
    var module: Module { wrappedValue }
    func replace(with module: Module) -> Bool {
        guard let typed = module as? M else { return false }
        wrappedValue = typed
        return true
    }
}
