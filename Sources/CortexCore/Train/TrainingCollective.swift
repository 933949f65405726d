// Data parallelism as the training loop sees it: copies of one trainer in several processes, each on its shard of
// every global batch, agreeing on the starting weights, on each step's gradient and on the epoch's figures. Cortex
// knows no MPI: CortexDistributed's `DataParallel` implements this over MPI, and `Trainer.collective` takes it.

/// What a trainer needs from the replicas it trains with.
public protocol TrainingCollective: ReplicaReduction {
    /// This replica's index (0 prints, reports and checkpoints) and the number of replicas.
    var rank: Int { get }
    var size: Int { get }
    /// Makes every replica's parameters and buffers equal to rank 0's.
    func synchronizeModel(_ model: Module) throws
    /// Called before backward. Each replica's backward gives the gradient of its own batch's mean loss; the
    /// averaging returned sends each group of `parameters`' gradients as soon as backward completes it (pass its
    /// `gradientIsReady` to `backward`), weighted by `share` (this replica's examples over the global batch's), and
    /// its `finish()` waits for the rest. Afterwards every replica holds the gradient of the global batch's mean
    /// loss — what one process would compute — and a parameter no replica produced a gradient for still has none.
    func beginGradientAveraging(_ parameters: [Tensor], share: Double) -> any GradientAveraging
}

/// Gradients being averaged across replicas while backward runs.
public protocol GradientAveraging: AnyObject {
    /// `parameter`'s gradient is complete (backward's hook).
    func gradientIsReady(_ parameter: Tensor)
    /// After backward: sends what is left, waits for everything, and writes the averaged gradients back.
    func finish() throws
}

extension TrainingCollective {
    /// This replica's share of the global batch that `batch` is part of (equal shares when it carries no shard).
    public func share(of batch: Batch) -> Double {
        batch.shard.map { Double($0.count) / Double($0.globalCount) } ?? 1 / Double(size)
    }
}

extension Trainer {
    /// Whether this replica is the one that prints, writes reports and saves checkpoints (always, alone).
    public var isPrimaryReplica: Bool { (collective?.rank ?? 0) == 0 }

    /// The collective when this trainer is one of several data-parallel replicas; nil alone.
    var replicas: (any TrainingCollective)? { collective.flatMap { $0.size > 1 ? $0 : nil } }

    /// A step's per-example means over `batch` (its loss, its metric) as one process would have them over the whole
    /// global batch: every replica's, weighted by its share, summed (one small all-reduce). Alone, `values` as they
    /// are. Every replica then sees the same loss, so a non-finite one anywhere stops them all at the same step.
    public func globalMeans(_ values: [Double], of batch: Batch) throws -> [Double] {
        guard let replicas else { return values }
        let share = replicas.share(of: batch)
        return try replicas.sum(values.map { $0 * share })
    }

    /// `loss.backward()`; with replicas, `parameters`' gradients are then the global batch's mean-loss gradients,
    /// averaged in buckets that are sent while backward is still running.
    public func backward(_ loss: Tensor, averaging parameters: [Tensor], over batch: Batch) throws {
        guard let replicas else { return loss.backward() }
        let averaging = replicas.beginGradientAveraging(parameters, share: replicas.share(of: batch))
        loss.backward(gradientIsReady: averaging.gradientIsReady)
        try averaging.finish()
    }
}
