// Sequential: layers applied in order, written with a result builder.

/// Builds the layer list of a `Sequential` from a block of layer expressions.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    public static func buildEither(first part: [any Layer]) -> [any Layer] { part }
    public static func buildEither(second part: [any Layer]) -> [any Layer] { part }
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}

/// Layers applied one after another. State-dict names are the layer indices (`0.weight`), as for
/// torch.nn.Sequential.
///
/// ```swift
/// let model = Sequential {
///     Linear(784, 128); ReLU()
///     Linear(128, 10)
/// }
/// ```
public final class Sequential: Module, Layer {
    public private(set) var layers: [any Layer]

    public init(_ layers: [any Layer]) {
        self.layers = layers
        super.init()
    }

    public convenience init(@LayerBuilder _ build: () -> [any Layer]) { self.init(build()) }

    public override func namedChildren() -> [(String, Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public override func replaceChild(named name: String, with module: Module, path: String) throws {
        guard let index = Int(name), layers.indices.contains(index) else {
            throw StateDictError("replace: '\(path)': this Sequential has layers 0..<\(layers.count)")
        }
        guard let layer = module as? any Layer else {
            throw StateDictError("replace: '\(path)': \(type(of: module)) is not a Layer, and a Sequential holds layers")
        }
        layers[index] = layer
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layers.reduce(input) { x, layer in layer(x) }
    }
}
