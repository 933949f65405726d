// Datasets: numbered (input, target) examples, and the in-memory tensor dataset most training uses.
import CortexEngine

/// A collection of (input, target) examples addressed by index, as torch.utils.data.Dataset.
///
/// Implement `count` and `example(at:)`; override `batch(at:)` when a whole batch can be gathered
/// faster than example by example (in-memory tensors gather with one copy per tensor).
public protocol Dataset: Sendable {
    var count: Int { get }
    /// One example: its input and its target (a label, or a regression value).
    func example(at index: Int) -> (input: Tensor, target: Tensor)
    /// The examples at `indices`, stacked along a new leading batch axis.
    func batch(at indices: [Int]) -> (input: Tensor, target: Tensor)
    /// The examples at `indices` as named tensors, for training steps that want more than an input and a
    /// target. The default names `batch(at:)`'s pair "input" and "target".
    func namedBatch(at indices: [Int]) -> Batch
}

extension Dataset {
    public func namedBatch(at indices: [Int]) -> Batch {
        let (input, target) = batch(at: indices)
        return Batch(input: input, target: target)
    }

    public func batch(at indices: [Int]) -> (input: Tensor, target: Tensor) {
        let examples = indices.map { example(at: $0) }
        return (Tensor.stack(examples.map(\.input)), Tensor.stack(examples.map(\.target)))
    }
}

/// Inputs and targets held as two tensors whose first axis indexes the examples.
public struct TensorDataset: Dataset {
    public let inputs: Tensor
    public let targets: Tensor

    public init(inputs: Tensor, targets: Tensor) {
        require(inputs.rank >= 1 && targets.rank >= 1 && inputs.shape[0] == targets.shape[0],
                "TensorDataset: inputs \(inputs.shape) and targets \(targets.shape) differ in their number of examples")
        self.inputs = inputs.detach()
        self.targets = targets.detach()
    }

    public var count: Int { inputs.shape[0] }

    public func example(at index: Int) -> (input: Tensor, target: Tensor) {
        require(index >= 0 && index < count, "TensorDataset: index \(index) is out of range for \(count) examples")
        return (inputs.selected(0, index), targets.selected(0, index))
    }

    public func batch(at indices: [Int]) -> (input: Tensor, target: Tensor) {
        let index = Tensor(indices, device: inputs.device)
        return (Self.gather(inputs, index), Self.gather(targets, index))
    }

    /// Rows of any dtype (float features, int64 labels, copied exactly) picked by index.
    static func gather(_ t: Tensor, _ index: Tensor) -> Tensor { noGrad { t.indexSelect(0, index) } }

    /// The examples at `indices`, as a new in-memory dataset.
    public func subset(_ indices: [Int]) -> TensorDataset {
        let (x, y) = batch(at: indices)
        return TensorDataset(inputs: x, targets: y)
    }

    /// Targets as integer class labels (for stratified splits and metrics).
    public var labels: [Int] { targets.integers }
}
