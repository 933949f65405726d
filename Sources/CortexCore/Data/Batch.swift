// A batch as named tensors: what a training step receives. Supervised data has "input" and "target";
// other models name what they need ("ids", "mask", "token_types" for BERT; just "input" for a VAE).
import CortexEngine

/// Named tensors whose first axis indexes the same examples.
public struct Batch: Sendable {
    public var tensors: [String: Tensor]
    /// For data parallelism: where these examples sit in the global batch one process would train on (nil
    /// when the batch is the whole of it).
    public var shard: BatchShard?

    public init(_ tensors: [String: Tensor]) {
        let sizes = Set(tensors.values.map { $0.rank == 0 ? -1 : $0.shape[0] })
        require(sizes.count <= 1 && !sizes.contains(-1),
                "Batch: every tensor needs the same first (example) axis, got \(tensors.mapValues(\.shape).sorted { $0.key < $1.key })")
        self.tensors = tensors
    }

    public init(input: Tensor, target: Tensor) { self.init(["input": input, "target": target]) }

    /// The tensor called `name`; a missing name stops with the names there are.
    public subscript(_ name: String) -> Tensor {
        guard let t = tensors[name] else {
            fatalError("Batch: no tensor named '\(name)' (the batch has \(tensors.keys.sorted().joined(separator: ", ")))")
        }
        return t
    }

    public var input: Tensor { self["input"] }
    public var target: Tensor { self["target"] }
    /// Number of examples.
    public var count: Int { tensors.values.first?.shape[0] ?? 0 }
}

/// A replica's part of a global batch: its examples are rows `offset ..< offset + count` of the `globalCount`
/// that one process would see at this step. Set by a sharded `DataLoader`; while it transforms such a batch and
/// while a `Trainer` trains on it, `BatchShard.current` holds it, so that random draws made per example (the
/// random transforms', dropout's masks) are the global batch's rows and N replicas train exactly as one process
/// would. (A `BatchMap`'s own randomness is not covered.)
public struct BatchShard: Sendable, Equatable {
    public let offset: Int
    public let count: Int
    public let globalCount: Int

    public init(offset: Int, count: Int, globalCount: Int) {
        require(count > 0 && offset >= 0 && offset + count <= globalCount,
                "BatchShard: rows \(offset)..<\(offset + count) do not fit a global batch of \(globalCount)")
        self.offset = offset
        self.count = count
        self.globalCount = globalCount
    }

    /// The shard of the batch being trained on (or transformed), if it is one replica's part of a global batch.
    @TaskLocal public static var current: BatchShard?

    /// `current`, when `rows` — the first axis of a tensor of per-example values — are its rows of a larger
    /// global batch; nil otherwise (alone, or a tensor laid out otherwise).
    static func current(rows: Int) -> BatchShard? {
        guard let shard = current, shard.count == rows, shard.count < shard.globalCount else { return nil }
        return shard
    }

    /// A random tensor of `shape` made by `draw`. When its first axis is the current shard's rows, `draw` makes it
    /// for the whole global batch (advancing its generator as one process's advances) and these rows are kept;
    /// otherwise it is drawn as it is.
    public static func rowsOfGlobalDraw(_ shape: [Int], _ draw: ([Int]) -> Tensor) -> Tensor {
        guard !shape.isEmpty, let shard = current(rows: shape[0]) else { return draw(shape) }
        return draw([shard.globalCount] + shape.dropFirst()).sliced(0, start: shard.offset, end: shard.offset + shard.count)
    }

    /// Runs `body`, which takes `perExample` values from `generator` for each of `rows` examples in turn. When they
    /// are the current shard's rows, the values one process takes for the global batch's examples before them are
    /// skipped first and those for the examples after them afterwards, so the draws are that process's for these
    /// rows.
    public static func drawingOwnRows<T>(_ rows: Int, from generator: RandomGenerator, perExample: Int, _ body: () -> T) -> T {
        guard let shard = current(rows: rows) else { return body() }
        for _ in 0..<(shard.offset * perExample) { _ = generator.next() }
        let result = body()
        for _ in 0..<((shard.globalCount - shard.offset - shard.count) * perExample) { _ = generator.next() }
        return result
    }
}
