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
    /// Averages gradients already computed (for steps that do not hook backward): every parameter ready at once.
    public func averageGradients(_ parameters: [Tensor], share: Double) throws {
        let averaging = beginGradientAveraging(parameters, share: share)
        for parameter in parameters { averaging.gradientIsReady(parameter) }
        try averaging.finish()
    }

    /// This replica's share of the global batch that `batch` is part of (equal shares when it carries no shard).
    public func share(of batch: Batch) -> Double {
        batch.shard.map { Double($0.count) / Double($0.globalCount) } ?? 1 / Double(size)
    }
}

extension Trainer {
    /// Whether this replica is the one that prints, writes reports and saves checkpoints (always, alone).
    public var isPrimaryReplica: Bool { (collective?.rank ?? 0) == 0 }
}
