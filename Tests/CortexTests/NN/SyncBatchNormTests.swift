// SyncBatchNorm without MPI: replicas are threads of this process (`ThreadReplica`), so the op's forward and
// backward are checked against one batch norm over the whole batch.
import Foundation
import Testing
import Cortex

@Suite struct SyncBatchNormTests {
    private struct Result: @unchecked Sendable {
        let output: Tensor, inputGradient: Tensor, weightGradient: Tensor, biasGradient: Tensor, runningMean: Tensor, runningVar: Tensor
    }

    /// Batch norm of `input` in training mode with the loss Σ(y·c)/rows (a mean over this batch's examples, as a
    /// replica's loss is), synchronised over `replicas` when given.
    private func normalise(_ input: Tensor, _ c: Tensor, weight w: Tensor, bias b: Tensor, replicas: (any ReplicaReduction)?) -> Result {
        let x = input.copied().requiringGrad(), weight = w.copied().requiringGrad(), bias = b.copied().requiringGrad()
        let mean = Tensor.zeros([input.shape[1]]), variance = Tensor.ones([input.shape[1]])
        let y = replicas.map {
            synchronizedBatchNorm(x, runningMean: mean, runningVar: variance, weight: weight, bias: bias, momentum: 0.1, eps: 1e-5, replicas: $0)
        } ?? batchNorm(x, runningMean: mean, runningVar: variance, weight: weight, bias: bias, training: true, momentum: 0.1, eps: 1e-5)
        ((y * c).sum() / Float(input.shape[0])).backward()
        return Result(output: y.detach(), inputGradient: x.grad!, weightGradient: weight.grad!, biasGradient: bias.grad!,
                      runningMean: mean, runningVar: variance)
    }

    private func worst(_ a: Tensor, _ b: Tensor) -> Float { zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0 }

    @Test(arguments: [[8], [5, 3], [3, 2, 3]])
    func replicasTogetherNormaliseAndDifferentiateAsOneBatch(rows: [Int]) {
        let total = rows.reduce(0, +)
        let g = RandomGenerator(seed: 7)
        let x = Tensor.randn([total, 4, 3, 3], generator: g) * 2 + 0.5, c = Tensor.randn([total, 4, 3, 3], generator: g)
        let w = Tensor.randn([4], generator: g), b = Tensor.randn([4], generator: g)
        let whole = normalise(x, c, weight: w, bias: b, replicas: nil)
        let replicas = ThreadReplica.group(rows.count)
        let starts = rows.indices.map { rows.prefix($0).reduce(0, +) }
        let parts = concurrently(rows.count) { r in
            normalise(x.sliced(0, start: starts[r], end: starts[r] + rows[r]).copied(), c.sliced(0, start: starts[r], end: starts[r] + rows[r]).copied(),
                      weight: w, bias: b, replicas: replicas[r])
        }
        for (r, part) in parts.enumerated() {
            let share = Float(rows[r]) / Float(total), range = starts[r]..<(starts[r] + rows[r])
            #expect(worst(part.output, whole.output.sliced(0, start: range.lowerBound, end: range.upperBound)) < 1e-5, "replica \(r) output")
            // A replica differentiates its own mean loss; weighted by its share it is its rows of the whole gradient.
            #expect(worst(part.inputGradient * share, whole.inputGradient.sliced(0, start: range.lowerBound, end: range.upperBound)) < 1e-6,
                    "replica \(r) input gradient")
            #expect(worst(part.runningMean, whole.runningMean) < 1e-6 && worst(part.runningVar, whole.runningVar) < 1e-6, "replica \(r) running statistics")
        }
        // Data parallelism's weighted average of the replicas' dγ and dβ is the whole batch's.
        let weightGradient = parts.indices.map { parts[$0].weightGradient * (Float(rows[$0]) / Float(total)) }.reduce(Tensor.zeros([4]), +)
        let biasGradient = parts.indices.map { parts[$0].biasGradient * (Float(rows[$0]) / Float(total)) }.reduce(Tensor.zeros([4]), +)
        #expect(worst(weightGradient, whole.weightGradient) < 1e-5 && worst(biasGradient, whole.biasGradient) < 1e-5)
        // The check can fail: without synchronisation the first replica's output is not its rows of the whole batch's.
        if rows.count > 1 {
            let alone = normalise(x.sliced(0, start: 0, end: rows[0]).copied(), c.sliced(0, start: 0, end: rows[0]).copied(), weight: w, bias: b, replicas: nil)
            #expect(worst(alone.output, whole.output.sliced(0, start: 0, end: rows[0])) > 1e-2)
        }
    }

    @Test func convertMarksEveryBatchNormAndKeepsTheStateDict() throws {
        let model = Sequential { Conv2d(1, 4, kernelSize: 3); BatchNorm2d(4); ReLU(); Flatten(); Linear(4 * 4 * 4, 8); BatchNorm1d(8) }
        let keys = model.stateDict().keys.sorted()
        #expect(SyncBatchNorm.convert(model) == 2)
        let norms = model.modules().compactMap { $0 as? BatchNorm }
        #expect(norms.count == 2 && norms.allSatisfy { $0.synchronized })
        #expect(model.stateDict().keys.sorted() == keys)
        // Alone (no replicas), a synchronised batch norm is an ordinary one.
        let x = Tensor.randn([3, 1, 6, 6], generator: RandomGenerator(seed: 1))
        let reference = Sequential { Conv2d(1, 4, kernelSize: 3); BatchNorm2d(4); ReLU(); Flatten(); Linear(4 * 4 * 4, 8); BatchNorm1d(8) }
        try reference.loadStateDict(model.stateDict())
        #expect(worst(model(x), reference(x)) == 0)
        #expect(SyncBatchNorm(4).stateDict().keys.sorted() == BatchNorm2d(4).stateDict().keys.sorted())
    }
}
