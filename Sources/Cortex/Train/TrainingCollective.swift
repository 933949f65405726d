// Data parallelism as the training loop sees it: copies of one trainer in several processes, each on its shard of
// every global batch, agreeing on the starting weights, on each step's gradient and on the epoch's figures. Cortex
// knows no MPI: CortexDistributed's `DataParallel` implements this over MPI, and `Trainer.collective` takes it.

/// What a trainer needs from the replicas it trains with.
public protocol TrainingCollective: AnyObject {
    /// This replica's index (0 prints, reports and checkpoints) and the number of replicas.
    var rank: Int { get }
    var size: Int { get }
    /// Makes every replica's parameters and buffers equal to rank 0's.
    func synchronizeModel(_ model: Module) throws
    /// After backward: each replica holds the gradient of its own batch's mean loss over `localCount` examples;
    /// afterwards every replica holds the gradient of the mean loss over all replicas' examples (the gradients
    /// weighted by their counts), which is what one process would compute for the whole global batch.
    func averageGradients(_ parameters: [Tensor], localCount: Int) throws
    /// Element-wise sums over replicas (loss and metric sums, example counts).
    func sum(_ values: [Double]) throws -> [Double]
}

extension Trainer {
    /// Whether this replica is the one that prints, writes reports and saves checkpoints (always, alone).
    public var isPrimaryReplica: Bool { (collective?.rank ?? 0) == 0 }
}
