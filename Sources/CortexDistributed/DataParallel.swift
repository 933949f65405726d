// Data-parallel training over MPI: the `TrainingCollective` a `Trainer` takes so that N processes, each on its
// shard of every global batch, train as one process would on the whole batch — rank 0's weights broadcast at the
// start, each step's gradients averaged (weighted by each replica's example count) in one all-reduce, and the
// epoch's sums added up.
import Cortex

/// `trainer.collective = DataParallel(group)` before `fit`; `fit`'s batch size is then per replica.
public final class DataParallel: TrainingCollective {
    public let group: ProcessGroup
    public var rank: Int { group.rank }
    public var size: Int { group.size }

    public init(_ group: ProcessGroup) { self.group = group }

    public func synchronizeModel(_ model: Module) throws {
        // By name, so every replica walks the same tensors in the same order.
        for (_, tensor) in model.namedTensors().sorted(by: { $0.0 < $1.0 }) where tensor.dtype == .float32 || tensor.dtype == .int64 {
            try group.broadcast(tensor, from: 0)
        }
    }

    public func averageGradients(_ parameters: [Tensor], localCount: Int) throws {
        guard size > 1, !parameters.isEmpty else { return }
        // One message for the whole model: every gradient × this replica's count, then the count itself, so the
        // sum's last value is the global count and the rest divided by it is the count-weighted mean gradient.
        let flat = noGrad { Tensor.cat(parameters.map { ($0.grad ?? Tensor.zeros(like: $0)).reshaped([-1]) }) * Float(localCount) }
        var values = flat.scalars
        values.append(Float(localCount))
        let total = try group.allReduce(values, .sum)
        let count = total[total.count - 1]
        let averaged = noGrad { Tensor(Array(total.dropLast()), device: flat.device) * (1 / count) }
        var offset = 0
        noGrad {
            for p in parameters {
                let g = averaged.sliced(0, start: offset, end: offset + p.count).reshaped(p.shape)
                offset += p.count
                if let existing = p.grad { existing.assign(g) } else { p.grad = g.copied() }
            }
        }
    }

    public func sum(_ values: [Double]) throws -> [Double] { try group.allReduce(values, .sum) }
}
