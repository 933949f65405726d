// A multilayer perceptron: the model of first resort for tables and flattened images.
import CortexCore

/// Linear layers with an activation (and optional dropout) between them; the input is flattened
/// from axis 1, so images work as well as table rows.
public final class MLP: Module, Layer {
    public let body: Sequential

    public init(inputSize: Int, hiddenSizes: [Int], outputSize: Int, dropout: Float = 0, seed: UInt64 = 0) {
        let generator = RandomGenerator(seed: seed)
        var layers: [any Layer] = [Flatten()]
        var width = inputSize
        for (i, hidden) in hiddenSizes.enumerated() {
            layers += [Linear(width, hidden, generator: generator), ReLU()]
            if dropout > 0 { layers.append(Dropout(dropout, generator: RandomGenerator(seed: seed &+ UInt64(i) &+ 1))) }
            width = hidden
        }
        layers.append(Linear(width, outputSize, generator: generator))
        body = Sequential(layers)
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { body(input) }
}

extension MLP: LayerChain {
    public var chain: [(name: String, layer: any Layer)] { body.chain.map { (name: "body.\($0.name)", layer: $0.layer) } }
}
