// Data-parallel replicas without MPI: threads of this process that add up their values through a rendezvous, so
// SyncBatchNorm and a data-parallel step are checked against one process in the ordinary test run.
import Foundation
import Cortex

/// `parties` threads meeting: `sum` waits until every party has called it, then gives each the element-wise sum.
final class Rendezvous: @unchecked Sendable {
    let parties: Int
    private let condition = NSCondition()
    private var pending: [[Double]] = [], result: [Double] = [], generation = 0

    init(parties: Int) { self.parties = parties }

    func sum(_ values: [Double]) -> [Double] {
        condition.lock()
        defer { condition.unlock() }
        let mine = generation
        pending.append(values)
        if pending.count == parties {
            result = pending.dropFirst().reduce(pending[0]) { zip($0, $1).map { $0 + $1 } }
            pending = []
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
        return result
    }
}

/// One replica's collective over a `Rendezvous`: gradients averaged all at once in `finish`, weighted by each
/// replica's share (no overlap: MPI's buckets are `CollectiveTests`' business).
final class ThreadReplica: TrainingCollective, GradientAveraging, @unchecked Sendable {
    let rendezvous: Rendezvous, rank: Int
    var size: Int { rendezvous.parties }
    private var parameters: [Tensor] = [], share = 1.0

    init(_ rendezvous: Rendezvous, rank: Int) { (self.rendezvous, self.rank) = (rendezvous, rank) }

    /// One replica for each of `count` parties of a new rendezvous.
    static func group(_ count: Int) -> [ThreadReplica] {
        let rendezvous = Rendezvous(parties: count)
        return (0..<count).map { ThreadReplica(rendezvous, rank: $0) }
    }

    func synchronizeModel(_ model: Module) throws {}
    func sum(_ values: [Double]) throws -> [Double] { rendezvous.sum(values) }
    func beginGradientAveraging(_ parameters: [Tensor], share: Double) -> any GradientAveraging {
        (self.parameters, self.share) = (parameters, share)
        return self
    }
    func gradientIsReady(_ parameter: Tensor) {}
    func finish() throws {
        let flat = parameters.flatMap { ($0.grad?.scalars ?? Array(repeating: 0, count: $0.count)).map { Double($0) * share } }
        let total = rendezvous.sum(flat)
        var offset = 0
        for p in parameters {
            p.grad = Tensor(total[offset..<(offset + p.count)].map(Float.init), shape: p.shape)
            offset += p.count
        }
    }
}

/// A value handed to other threads that only one of them uses at a time (a replica's model).
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Runs `body(r)` for r in 0..<count, each on its own thread and all at once (replicas wait for each other), and
/// returns what each returned, in order.
func concurrently<T>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = Unchecked(ResultSlots<T>(count)), group = DispatchGroup()
    for r in 0..<count {
        group.enter()
        Thread.detachNewThread { results.value.set(r, body(r)); group.leave() }
    }
    group.wait()
    return results.value.values.map { $0! }
}

private final class ResultSlots<T> {
    private let lock = NSLock()
    private(set) var values: [T?]
    init(_ count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ r: Int, _ value: T) { lock.withLock { values[r] = value } }
}
