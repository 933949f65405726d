// A model seen as a chain of layers applied one after another — the view that explanations and diagnostics
// walk: a feature map after any layer, Grad-CAM at any convolution, activations and dead ReLUs layer by layer.
import CortexEngine

/// A model whose forward pass applies a list of layers in order. `Sequential` is one (nested Sequentials
/// flattened); a model built from Sequentials (a feature extractor, then a classifier) says so by listing them.
public protocol LayerChain: Module {
    /// The layers in the order the forward pass applies them, each with its dotted state-dict name
    /// (`features.0`). Applying them in turn must equal calling the model.
    var chain: [(name: String, layer: any Layer)] { get }
}

extension Sequential: LayerChain {
    public var chain: [(name: String, layer: any Layer)] {
        layers.enumerated().flatMap { index, layer -> [(name: String, layer: any Layer)] in
            if let inner = layer as? any LayerChain {
                return inner.chain.map { (name: "\(index).\($0.name)", layer: $0.layer) }
            }
            return [(name: String(index), layer: layer)]
        }
    }
}

extension LayerChain {
    /// The layers up to and including `index` of `chain`, as one function.
    public func prefix(through index: Int) -> (Tensor) -> Tensor {
        let layers = chain
        require(layers.indices.contains(index), "LayerChain.prefix: layer \(index) is outside 0..<\(layers.count)")
        let used = layers[...index].map(\.layer)
        return { input in used.reduce(input) { x, layer in layer(x) } }
    }

    /// The layers after `index` of `chain`, as one function (the identity after the last layer).
    public func suffix(after index: Int) -> (Tensor) -> Tensor {
        let layers = chain
        require(index >= -1 && index < layers.count, "LayerChain.suffix: layer \(index) is outside -1..<\(layers.count)")
        let used = layers[(index + 1)...].map(\.layer)
        return { input in used.reduce(input) { x, layer in layer(x) } }
    }

    /// Every layer's output for `input`, in order, without recording gradients.
    public func activations(_ input: Tensor) -> [(name: String, layer: any Layer, output: Tensor)] {
        noGrad {
            var x = input
            return chain.map { name, layer in
                x = layer(x)
                return (name: name, layer: layer, output: x)
            }
        }
    }
}
