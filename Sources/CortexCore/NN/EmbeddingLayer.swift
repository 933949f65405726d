// Embedding tables as a layer.
import CortexEngine

/// A table of `count` vectors of size `dimension`, looked up by integer ids, as torch.nn.Embedding.
/// Initial N(0, 1); the `paddingIndex` row starts at zero and receives no gradient.
public final class Embedding: Module, Layer {
    public let weight: Tensor
    public let paddingIndex: Int?

    public init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil, generator: RandomGenerator? = nil) {
        require(count > 0 && dimension > 0, "Embedding: sizes must be positive, got \(count)×\(dimension)")
        let table = Tensor.randn([count, dimension], generator: generator)
        if let paddingIndex {
            require(paddingIndex >= -count && paddingIndex < count, "Embedding: padding index \(paddingIndex) out of range for \(count) rows")
            let row = paddingIndex < 0 ? paddingIndex + count : paddingIndex
            table.selected(0, row).fill(0)
        }
        weight = table.requiringGrad()
        self.paddingIndex = paddingIndex
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { embedding(input, weight: weight, paddingIndex: paddingIndex) }
}
