// A small convolutional classifier of 28×28 images whose penultimate 128 features are where the Fréchet distance
// between generated and real images is measured (`cortex bench generative`).
import CortexCore

/// The classifier whose 128 penultimate features the Fréchet distance is computed in.
public final class FeatureClassifier: Module, Layer {
    let trunk: Sequential, head: Linear

    public init(seed: UInt64) {
        let g = RandomGenerator(seed: seed)
        trunk = Sequential {
            Conv2d(1, 32, kernelSize: 3, padding: 1, generator: g); BatchNorm2d(32); ReLU(); MaxPool2d(2)
            Conv2d(32, 64, kernelSize: 3, padding: 1, generator: g); BatchNorm2d(64); ReLU(); MaxPool2d(2)
            Flatten(); Linear(64 * 7 * 7, 128, generator: g); ReLU()
        }
        head = Linear(128, 10, generator: g)
        super.init()
    }

    public func features(_ input: Tensor) -> Tensor { trunk(input) }
    public func callAsFunction(_ input: Tensor) -> Tensor { head(trunk(input)) }
}
