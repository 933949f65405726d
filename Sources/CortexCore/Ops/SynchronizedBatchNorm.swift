// Batch normalisation over every replica's part of a global batch (torch.nn.SyncBatchNorm's op): the statistics
// and, in backward, the per-channel gradient sums are added up across replicas, so N replicas normalise and
// differentiate exactly as one process would over the whole batch.
import CortexEngine

/// Element-wise sums of host values across the replicas that train together. Cortex knows no MPI:
/// `CortexDistributed`'s `DataParallel` provides this (through `TrainingCollective`).
public protocol ReplicaReduction: AnyObject {
    /// The element-wise sum over replicas; every replica passes the same number of values.
    func sum(_ values: [Double]) throws -> [Double]
}

/// Batch normalisation in training mode with statistics over every replica's batch.
///
/// Forward: each replica's per-channel count n and mean are summed across replicas (in Double) for the global
/// mean, then its squared deviations about that mean for the global biased variance (two all-reduces, of C + 1
/// and C values); the running statistics take the unbiased variance over the global count N, as one process's
/// would.
///
/// Backward: each replica holds the gradient of its own mean loss, which data parallelism later weights by its
/// share of the global batch. With g that gradient, the true per-channel sums over the global batch are
/// ΣG = Σ_replicas (n/N)·Σg and Σ(G·x̂) likewise (one all-reduce of 2C values), and the replica's input
/// gradient — scaled to its own loss, as the weighting expects — is dx = γ·rstd·(g − ΣG/n − x̂·Σ(G·x̂)/n). With
/// equal shares this is PyTorch's formula; the weights make it exact for a shorter last batch too. dγ = Σg·x̂ and
/// dβ = Σg stay local: the gradient all-reduce weights them as every other parameter's.
///
/// The statistics cross to the host for MPI, which only sees host memory: 2C + 1 values forward, 2C backward.
public func synchronizedBatchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
                                  momentum: Float = 0.1, eps: Float = 1e-5, replicas: any ReplicaReduction) -> Tensor {
    let op = "sync_batch_norm"
    let (batch, channels, plane) = batchNormLayout(op, input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias)
    let x = input.contiguousStorage(), backend = input.backend
    let localMean = input.makeOutput([channels]), localVariance = input.makeOutput([channels])
    backend.batchNormStatistics(x.operand, batch: batch, channels: channels, plane: plane, mean: localMean.operand,
                                variance: localVariance.operand)
    let n = Double(batch * plane), m = localMean.scalars.map(Double.init), v = localVariance.scalars.map(Double.init)
    // The mean first, then each replica's squared deviations about it: n·(v + (m − mean)²) sums to the global
    // batch's, where E[x²] − mean² would lose a small variance to the rounding of large means.
    let totals = allReduced([n] + m.map { n * $0 }, over: replicas, op)
    let count = totals[0]
    require(count > 1, "\(op): expected more than 1 value per channel over all replicas, got \(Int(count))")
    let globalMean = (0..<channels).map { totals[1 + $0] / count }
    let squares = allReduced((0..<channels).map { n * (v[$0] + (m[$0] - globalMean[$0]) * (m[$0] - globalMean[$0])) }, over: replicas, op)
    let globalVariance = squares.map { $0 / count }
    let mean = Tensor(globalMean.map(Float.init), device: input.device)
    let variance = Tensor(globalVariance.map(Float.init), device: input.device)
    noGrad {
        let unbiasedScale = Float(count / (count - 1))
        if let runningMean { runningMean.assign(runningMean * (1 - momentum) + mean * momentum) }
        if let runningVar { runningVar.assign(runningVar * (1 - momentum) + (variance * unbiasedScale) * momentum) }
    }
    let gamma = weight?.detach().contiguousStorage(), beta = bias?.detach().contiguousStorage()
    let y = input.makeOutput(input.shape)
    backend.batchNorm(x.operand, mean: mean.operand, variance: variance.operand, eps: eps, weight: gamma?.operand, bias: beta?.operand,
                      batch: batch, plane: plane, into: y.operand)
    let inputs = [input] + [weight, bias].compactMap { $0 }
    return y.recordingGrad(op, attributes: ["eps": .float(eps)], inputs: inputs) { g in
        let gc = g.contiguousStorage()
        let dxFixed = gc.makeOutput(input.shape), dGamma = gc.makeOutput([channels]), dBeta = gc.makeOutput([channels])
        // With the statistics held fixed the kernel gives γ·rstd·g and the local sums Σg·x̂ (dγ) and Σg (dβ).
        gc.backend.batchNormBackward(gradient: gc.operand, input: x.operand, mean: mean.operand, variance: variance.operand, eps: eps,
                                     weight: gamma?.operand, batch: batch, plane: plane, batchStatistics: false,
                                     inputGradient: dxFixed.operand, weightGradient: dGamma.operand, biasGradient: dBeta.operand)
        var grads: [Tensor?] = [nil]
        if input.requiresGrad {
            let share = n / count
            let sums = allReduced(dBeta.scalars.map { share * Double($0) } + dGamma.scalars.map { share * Double($0) }, over: replicas, op)
            let gammaValues = gamma?.scalars ?? Array(repeating: 1, count: channels)
            // dx = dxFixed − k·ΣG/n − (x − mean)·rstd·k·Σ(G·x̂)/n, with k = γ·rstd per channel; x − mean first, as the
            // one-process kernel does, so that no large terms cancel.
            var offset = [Float](repeating: 0, count: channels), slope = [Float](repeating: 0, count: channels)
            for c in 0..<channels {
                let rstd = 1 / (globalVariance[c] + Double(eps)).squareRoot(), k = Double(gammaValues[c]) * rstd
                offset[c] = Float(k * sums[c] / n)
                slope[c] = Float(k * rstd * sums[channels + c] / n)
            }
            let perChannel = [1, channels] + Array(repeating: 1, count: input.rank - 2)
            let centred = x - mean.reshaped(perChannel)
            grads[0] = dxFixed - centred * Tensor(slope, shape: perChannel, device: input.device) - Tensor(offset, shape: perChannel, device: input.device)
        }
        if let weight { grads.append(weight.requiresGrad ? dGamma : nil) }
        if let bias { grads.append(bias.requiresGrad ? dBeta : nil) }
        return grads
    }
}

/// The replicas' sum of `values`; a failed collective inside a forward or backward pass cannot be thrown
/// through the graph, so it stops the process (the launcher then ends the job).
private func allReduced(_ values: [Double], over replicas: any ReplicaReduction, _ op: String) -> [Double] {
    do {
        return try replicas.sum(values)
    } catch {
        fatalError("\(op): the all-reduce across replicas failed: \(error)")
    }
}
