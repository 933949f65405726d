// Data-parallel training over MPI: the `TrainingCollective` a `Trainer` takes so that N processes, each on its
// shard of every global batch, train as one process would on the whole batch — rank 0's weights broadcast at the
// start, each step's gradients averaged (weighted by each replica's example count) in buckets sent while backward
// runs, and the epoch's sums added up.
import CortexCore

/// `trainer.collective = try DataParallel(group)` before `fit`; `fit`'s batch size is then per replica.
public final class DataParallel: TrainingCollective {
    public let group: ProcessGroup
    public var rank: Int { group.rank }
    public var size: Int { group.size }
    /// Gradient bytes gathered into one all-reduce (a bucket closes once it holds at least this many; a tensor is
    /// never split): smaller buckets start sooner during backward, larger ones pay the per-message latency less
    /// often — across many nodes on a slow network, make them larger. `Int.max` sends the whole model at once,
    /// after backward.
    public let bucketBytes: Int
    /// The gradient buckets' own communicator: a synchronised batch norm all-reduces on `group` inside backward,
    /// between buckets, and a rank whose bucket completes later (a parameter without a gradient there) must not
    /// pair its collectives with another rank's in a different order.
    private let gradientGroup: ProcessGroup
    private var buckets: GradientBuckets?

    /// Every rank creates it at the same point (it duplicates `group`'s communicator).
    public init(_ group: ProcessGroup, bucketBytes: Int = 256 << 10) throws {
        precondition(bucketBytes > 0, "DataParallel: bucketBytes must be positive, got \(bucketBytes)")
        self.group = group
        self.bucketBytes = bucketBytes
        gradientGroup = try group.duplicate()
    }

    public func synchronizeModel(_ model: Module) throws {
        // By name, so every replica walks the same tensors in the same order.
        for (_, tensor) in model.namedTensors().sorted(by: { $0.0 < $1.0 }) where tensor.dtype == .float32 || tensor.dtype == .int64 {
            try group.broadcast(tensor, from: 0)
        }
    }

    public func beginGradientAveraging(_ parameters: [Tensor], share: Double) -> any GradientAveraging {
        if buckets.map({ !$0.serves(parameters) }) ?? true {
            buckets = GradientBuckets(group: gradientGroup, parameters: parameters, bucketBytes: bucketBytes)
        }
        buckets!.begin(share: share)
        return buckets!
    }

    public func sum(_ values: [Double]) throws -> [Double] { try group.allReduce(values, .sum) }
}
