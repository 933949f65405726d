// A small convolutional network for 28×28 grayscale images (Fashion-MNIST, MNIST).
import CortexCore

/// Two conv blocks (3×3 convolution, batch norm, ReLU, 2×2 max pooling) and a linear classifier
/// with dropout: 1×28×28 → 32×14×14 → 64×7×7 → classes. With 10 classes it has 50,378 parameters,
/// inside the "2 Conv < 100K parameters" class of the Fashion-MNIST benchmark table.
public final class SmallConvNet: Module, Layer {
    public let features: Sequential
    public let classifier: Sequential

    public init(inputChannels: Int = 1, imageSize: Int = 28, classes: Int = 10, width: Int = 32, dropout: Float = 0.25,
                seed: UInt64 = 0) {
        let g = RandomGenerator(seed: seed)
        features = Sequential {
            Conv2d(inputChannels, width, kernelSize: 3, padding: 1, generator: g); BatchNorm2d(width); ReLU(); MaxPool2d(2)
            Conv2d(width, 2 * width, kernelSize: 3, padding: 1, generator: g); BatchNorm2d(2 * width); ReLU(); MaxPool2d(2)
        }
        let side = imageSize / 4
        classifier = Sequential {
            Flatten(); Dropout(dropout, generator: RandomGenerator(seed: seed &+ 1))
            Linear(2 * width * side * side, classes, generator: g)
        }
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { classifier(features(input)) }
}

extension SmallConvNet: LayerChain {
    public var chain: [(name: String, layer: any Layer)] {
        features.chain.map { (name: "features.\($0.name)", layer: $0.layer) } + classifier.chain.map { (name: "classifier.\($0.name)", layer: $0.layer) }
    }
}
