// Fully connected layers.
import CortexEngine

/// y = x·Wᵀ + b over the last axis, as torch.nn.Linear.
///
/// - weight: (outFeatures, inFeatures), initial U(−1/√in, 1/√in) (Kaiming uniform with a = √5).
/// - bias: (outFeatures), initial U(−1/√in, 1/√in).
/// - Shape: (…, inFeatures) → (…, outFeatures).
public final class Linear: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: RandomGenerator? = nil) {
        require(inFeatures > 0 && outFeatures > 0, "Linear: feature counts must be positive, got \(inFeatures) → \(outFeatures)")
        weight = Tensor.zeros([outFeatures, inFeatures]).requiringGrad()
        Init.kaimingUniform(weight, a: Float(5).squareRoot(), generator: generator)
        let bound = 1 / Float(inFeatures).squareRoot()
        self.bias = bias ? Tensor.uniform([outFeatures], low: -bound, high: bound, generator: generator).requiringGrad() : nil
        super.init()
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ input: Tensor) -> Tensor { linear(input, weight: weight, bias: bias) }
}

/// Passes its input through unchanged (a placeholder in architectures).
public final class Identity: Module, Layer {
    public override init() { super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { input }
}

/// Flattens axes `startDim…endDim` into one (default: all but the batch axis), as torch.nn.Flatten.
public final class Flatten: Module, Layer {
    public let startDim: Int, endDim: Int
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.flattened(from: startDim, to: endDim) }
}
