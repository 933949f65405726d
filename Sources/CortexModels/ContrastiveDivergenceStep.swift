// Training a restricted Boltzmann machine through `Trainer`: the step computes the contrastive-divergence
// gradient itself (no autograd) and hands it to an ordinary optimiser, so momentum, weight decay,
// schedules, checkpoints and exact resume all work as for any other model.
import CortexCore

public final class ContrastiveDivergenceStep: TrainingStep {
    public let rbm: RBM
    public let optimizer: Optimizer
    /// Gibbs steps per update (CD-k).
    public let k: Int

    /// Plain CD-k when the machine has no persistent chains, persistent CD-k through them when it has.
    public init(_ rbm: RBM, _ optimizer: Optimizer, k: Int = 1) {
        precondition(k >= 1, "ContrastiveDivergenceStep: k must be at least 1, got \(k)")
        self.rbm = rbm
        self.optimizer = optimizer
        self.k = k
    }

    public var optimizers: [String: Optimizer] { ["optimizer": optimizer] }
    /// The pseudo-log-likelihood for binary units (higher better), the reconstruction error for Gaussian ones.
    public var metric: (name: String, lowerIsBetter: Bool)? {
        rbm.visibleUnits == .bernoulli ? ("pseudo_likelihood", false) : ("reconstruction", true)
    }

    /// The loss shown and checked is the reconstruction error (CD follows no loss of its own); the free-energy
    /// gap between data and chain, and for binary units the batch's pseudo-likelihood (before the update, drawn
    /// from the machine's sampler), are reported beside it.
    public func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let v = batch.input.flattened(from: 1)
        let persistent = rbm.persistentChain.shape[0] > 0
        let likelihood = rbm.visibleUnits == .bernoulli ? rbm.pseudoLikelihood(v, generator: rbm.sampler) : nil
        let (result, chain) = rbm.contrastiveDivergence(v, k: k, chain: persistent ? rbm.persistentChain : nil, generator: rbm.sampler)
        guard result.reconstructionError.isFinite else { return StepOutput(loss: result.reconstructionError) }
        optimizer.step()
        if let chain { rbm.persistentChain = chain }
        var values = ["reconstruction": result.reconstructionError, "free_energy_gap": result.freeEnergyGap]
        if let likelihood { values["pseudo_likelihood"] = likelihood }
        return StepOutput(loss: result.reconstructionError, values: values)
    }

    /// Reconstruction error, and for binary units the pseudo-log-likelihood (from a generator of its own, so
    /// evaluating changes nothing in training's random stream).
    public func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let v = batch.input.flattened(from: 1)
        let error = rbm.reconstructionError(v)
        var values = ["reconstruction": error]
        if rbm.visibleUnits == .bernoulli { values["pseudo_likelihood"] = rbm.pseudoLikelihood(v, generator: RandomGenerator(seed: 0)) }
        return StepOutput(loss: error, values: values)
    }
}
