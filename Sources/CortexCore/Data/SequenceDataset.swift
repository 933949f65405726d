// Sequences of feature vectors of different lengths (audio frames, sensor readings), each with a label, kept
// end to end in one buffer and padded only per batch, to the batch's longest sequence.
import CortexEngine

/// Variable-length sequences of `featureCount` values per step, with one target each.
///
/// `namedBatch(at:)` gives "input" (batch, longest, features) zero-padded after each sequence, "lengths" (int64)
/// and "target", which `SequenceNetwork`-style models and their training step read. `example(at:)` gives one
/// unpadded (length, features) sequence.
public struct SequenceDataset: Dataset {
    /// Every sequence's steps, one after another: (Σ lengths) × features values.
    public let frames: [Float]
    public let featureCount: Int
    /// Steps per sequence; `offsets[i]` is where sequence i starts, in steps.
    public let lengths: [Int]
    public let offsets: [Int]
    public let targets: Tensor

    /// `frames`: (total steps, features), sequences back to back in `lengths` order; `targets`: one per sequence.
    public init(frames: Tensor, lengths: [Int], targets: Tensor) {
        require(frames.rank == 2, "SequenceDataset: frames must be (steps, features), got \(frames.shape)")
        require(lengths.allSatisfy { $0 > 0 }, "SequenceDataset: every sequence needs at least one step")
        require(lengths.reduce(0, +) == frames.shape[0],
                "SequenceDataset: the lengths add up to \(lengths.reduce(0, +)) steps but frames has \(frames.shape[0])")
        require(targets.rank >= 1 && targets.shape[0] == lengths.count,
                "SequenceDataset: \(lengths.count) sequences but targets \(targets.shape)")
        self.frames = frames.contiguous().scalars
        featureCount = frames.shape[1]
        self.lengths = lengths
        var offsets = [Int](), at = 0
        for length in lengths { offsets.append(at); at += length }
        self.offsets = offsets
        self.targets = targets.detach()
    }

    /// The sequences at `indices` as a new data set (a split).
    public func subset(_ indices: [Int]) -> SequenceDataset {
        var picked: [Float] = []
        for i in indices { picked += frames[(offsets[i] * featureCount)..<((offsets[i] + lengths[i]) * featureCount)] }
        return SequenceDataset(frames: Tensor(picked, shape: [picked.count / featureCount, featureCount]),
                               lengths: indices.map { lengths[$0] }, targets: targets.indexSelect(0, Tensor(indices)))
    }

    public var count: Int { lengths.count }

    public func example(at index: Int) -> (input: Tensor, target: Tensor) {
        let start = offsets[index] * featureCount, end = (offsets[index] + lengths[index]) * featureCount
        return (Tensor(Array(frames[start..<end]), shape: [lengths[index], featureCount]), targets.selected(0, index))
    }

    public func batch(at indices: [Int]) -> (input: Tensor, target: Tensor) {
        let batch = namedBatch(at: indices)
        return (batch.input, batch.target)
    }

    public func namedBatch(at indices: [Int]) -> Batch {
        let longest = indices.map { lengths[$0] }.max() ?? 0
        var padded = [Float](repeating: 0, count: indices.count * longest * featureCount)
        for (row, i) in indices.enumerated() {
            let source = frames[(offsets[i] * featureCount)..<((offsets[i] + lengths[i]) * featureCount)]
            let start = row * longest * featureCount
            padded.replaceSubrange(start..<(start + source.count), with: source)
        }
        return Batch(["input": Tensor(padded, shape: [indices.count, longest, featureCount]),
                      "lengths": Tensor(indices.map { lengths[$0] }),
                      "target": targets.indexSelect(0, Tensor(indices))])
    }
}
