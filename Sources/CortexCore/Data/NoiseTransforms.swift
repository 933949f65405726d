// Corruptions for denoising autoencoders, as batch transforms: the Trainer applies a fit's transform to the
// batch's input only, so with a dataset whose targets are its inputs the model learns to undo the noise.
// Each draws from a seeded generator that checkpoints keep.
import CortexEngine

/// Adds N(0, std²) noise to every value, then clamps to `range` (pixels stay pixels) when one is given.
public struct GaussianNoise: BatchTransform {
    public let std: Float
    public let range: ClosedRange<Float>?
    let generator: RandomGenerator

    public init(std: Float, range: ClosedRange<Float>? = 0...1, seed: UInt64 = 0) {
        require(std >= 0 && std.isFinite, "GaussianNoise: std must be a non-negative number, got \(std)")
        (self.std, self.range) = (std, range)
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ batch: Tensor) -> Tensor {
        let noisy = batch + BatchShard.rowsOfGlobalDraw(batch.shape) { Tensor.randn($0, std: std, generator: generator, device: batch.device) }
        guard let range else { return noisy }
        return noisy.clamped(min: range.lowerBound, max: range.upperBound)
    }

    public var generators: [(name: String, generator: RandomGenerator)] { [("gaussian_noise", generator)] }
}

/// Sets each value to zero with `probability` (masking noise, as in Vincent et al.'s stacked denoising
/// autoencoders): the model must fill in what is missing from what is left.
public struct MaskingNoise: BatchTransform {
    public let probability: Float
    let generator: RandomGenerator

    public init(probability: Float, seed: UInt64 = 0) {
        require(probability >= 0 && probability < 1, "MaskingNoise: probability must be in [0, 1), got \(probability)")
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ batch: Tensor) -> Tensor {
        batch * BatchShard.rowsOfGlobalDraw(batch.shape) { Tensor.rand($0, generator: generator, device: batch.device) }.ge(probability).to(.float32)
    }

    public var generators: [(name: String, generator: RandomGenerator)] { [("masking_noise", generator)] }
}
