// Batching a dataset for training: seeded shuffling each epoch, optional drop of the last partial
// batch, per-batch transforms, and the next batch prepared on another thread while this one trains.
import Dispatch
import CortexEngine

/// Iterates a dataset in batches of (input, target), as torch.utils.data.DataLoader.
///
/// Each pass (each `for … in loader`) draws a new order from the loader's generator when
/// `shuffle` is on, so a run with the same seed sees the same sequence of epochs. With `prefetch`
/// the next batch is gathered (and transformed) on a background thread while the caller trains on
/// the current one.
public final class DataLoader: Sequence, @unchecked Sendable {
    public let dataset: any Dataset
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let prefetch: Bool
    /// Applied to every batch's inputs (e.g. random crops for augmentation).
    public let transform: (@Sendable (Tensor) -> Tensor)?
    public let generator: RandomGenerator
    /// For data parallelism: this replica's index among `count`. Every replica draws the same order; each global
    /// batch of `batchSize × count` examples is cut into `count` contiguous parts, and this replica gets part
    /// `rank` (the last, shorter global batch is cut as evenly as it goes), as torch's DistributedSampler gives
    /// each rank its share.
    public let shard: (rank: Int, count: Int)?
    /// Set by tests only, before iterating.
    var prefetchHooks: PrefetchHooks?

    public init(_ dataset: any Dataset, batchSize: Int, shuffle: Bool = false, seed: UInt64 = 0, dropLast: Bool = false,
                prefetch: Bool = true, transform: (@Sendable (Tensor) -> Tensor)? = nil, shard: (rank: Int, count: Int)? = nil) {
        require(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
        if let shard {
            require(shard.count >= 1 && shard.rank >= 0 && shard.rank < shard.count, "DataLoader: shard \(shard.rank) of \(shard.count) is out of range")
        }
        self.shard = shard
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.transform = transform
        generator = RandomGenerator(seed: seed)
    }

    /// Batches per pass (global batches when sharded: every replica runs the same number of steps).
    public var count: Int {
        let size = batchSize * (shard?.count ?? 1), remainder = dataset.count % size
        // A sharded pass leaves out a last global batch too small to give every replica an example.
        let keepsLast = !dropLast && remainder > 0 && remainder >= (shard?.count ?? 1)
        return dataset.count / size + (keepsLast ? 1 : 0)
    }

    /// The order of the next pass; advances the generator when shuffling.
    func nextOrder() -> [Int] {
        var order = Array(0..<dataset.count)
        if shuffle {
            // Fisher–Yates with the loader's own generator: reproducible across platforms.
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
        }
        return order
    }

    /// One pass as (input, target) pairs.
    public func makeIterator() -> Iterator { Iterator(batches: BatchIterator(self, order: nextOrder())) }

    /// One pass as named batches (`Dataset.namedBatch(at:)`), for training steps.
    public var namedBatches: NamedBatches { NamedBatches(loader: self) }

    public struct Iterator: IteratorProtocol {
        var batches: BatchIterator

        public mutating func next() -> (input: Tensor, target: Tensor)? {
            batches.next().map { ($0.input, $0.target) }
        }
    }

    /// A pass over named batches; each `makeIterator()` draws a new order, as iterating the loader does.
    public struct NamedBatches: Sequence {
        let loader: DataLoader
        public func makeIterator() -> BatchIterator { BatchIterator(loader, order: loader.nextOrder()) }
    }

    public struct BatchIterator: IteratorProtocol {
        let loader: DataLoader
        let batches: [[Int]]
        let shards: [BatchShard?]
        var position = 0
        /// The batch being prepared in the background, if any.
        var pending: PendingBatch?

        init(_ loader: DataLoader, order: [Int]) {
            self.loader = loader
            let size = loader.batchSize * (loader.shard?.count ?? 1)
            var batches = stride(from: 0, to: order.count, by: size).map {
                Array(order[$0..<Swift.min($0 + size, order.count)])
            }
            if loader.dropLast, let last = batches.last, last.count < size { batches.removeLast() }
            var shards: [BatchShard?] = Array(repeating: nil, count: batches.count)
            if let (rank, parts) = loader.shard {
                // A global batch too small to give every replica an example would leave one with nothing to step on.
                if let last = batches.last, last.count < parts { batches.removeLast() }
                shards = batches.map { global in
                    let start = rank * global.count / parts, end = (rank + 1) * global.count / parts
                    return BatchShard(offset: start, count: end - start, globalCount: global.count)
                }
                batches = zip(batches, shards.compactMap { $0 }).map { global, shard in Array(global[shard.offset..<(shard.offset + shard.count)]) }
            }
            self.batches = batches
            self.shards = shards
            if loader.prefetch, !batches.isEmpty { pending = PendingBatch(loader, batches[0], shard: shards[0]) }
        }

        public mutating func next() -> Batch? {
            guard position < batches.count else { return nil }
            let current = pending?.wait() ?? loader.load(batches[position], shard: shards[position])
            position += 1
            pending = loader.prefetch && position < batches.count ? PendingBatch(loader, batches[position], shard: shards[position]) : nil
            return current
        }
    }

    /// The examples at `indices`, transformed; a replica's `shard` of a global batch is transformed as those rows
    /// of it (`BatchShard.current` set while the transform runs).
    func load(_ indices: [Int], shard: BatchShard? = nil) -> Batch {
        var batch = dataset.namedBatch(at: indices)
        batch.shard = shard
        if let transform, let input = batch.tensors["input"] {
            batch.tensors["input"] = noGrad { BatchShard.$current.withValue(shard) { transform(input) } }
        }
        return batch
    }
}

/// A batch gathered (and transformed) on a background queue while the caller trains on the one before; `wait()`
/// returns it once ready. Dropped without being waited for (the loop over the loader ended early, by `break` or
/// a throw), it is called off if its work has not begun, and waited for if it has: once the loop is left, no
/// transform goes on drawing from generators that a checkpoint, the next `fit` or the next pass reads.
final class PendingBatch: @unchecked Sendable {
    private enum State { case queued, loading, done, calledOff }

    /// What the background work shares with its owner; the work holds this, not the owner, so that dropping the
    /// owner runs its `deinit` at once.
    private final class Work: @unchecked Sendable {
        let state = Locked(State.queued)
        let finished = DispatchSemaphore(value: 0)
        var result: Batch?
    }

    private let work = Work()

    init(_ loader: DataLoader, _ indices: [Int], shard: BatchShard?) {
        let work = self.work, hooks = loader.prefetchHooks
        DispatchQueue.global(qos: .userInitiated).async {
            hooks?.willLoad()
            let begun = work.state.withLock { state -> Bool in
                guard state == .queued else { return false }
                state = .loading
                return true
            }
            if begun {
                work.result = noGrad { loader.load(indices, shard: shard) }
                work.state.withLock { $0 = .done }
                work.finished.signal()
            }
            hooks?.didEnd(begun)
        }
    }

    func wait() -> Batch {
        work.finished.wait()
        return work.result!
    }

    deinit {
        // Called off if not begun; waited for if loading (the work signals once it is done); nothing to wait for
        // once done, whether or not `wait()` took the batch.
        let loading = work.state.withLock { state -> Bool in
            if state == .queued { state = .calledOff }
            return state == .loading
        }
        if loading { work.finished.wait() }
    }
}

/// Test hooks around a prefetch's background work, to order it against the loop deterministically: `willLoad`
/// runs before the work decides whether it still has a batch to load, `didEnd(loaded)` after it is done.
struct PrefetchHooks: Sendable {
    var willLoad: @Sendable () -> Void = {}
    var didEnd: @Sendable (_ loaded: Bool) -> Void = { _ in }
}
