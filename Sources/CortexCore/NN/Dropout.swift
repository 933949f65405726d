// Dropout as a layer.
import CortexEngine

/// Zeroes elements with probability p during training and scales the rest by 1/(1 − p); identity
/// in evaluation mode. As torch.nn.Dropout, with an explicit generator for reproducible runs.
public final class Dropout: Module, Layer {
    public let probability: Float
    let generator: RandomGenerator?

    public init(_ probability: Float = 0.5, generator: RandomGenerator? = nil) {
        require(probability >= 0 && probability <= 1, "Dropout: probability \(probability) is outside [0, 1]")
        self.probability = probability
        self.generator = generator
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        dropout(input, probability: probability, training: training, generator: generator)
    }
}
