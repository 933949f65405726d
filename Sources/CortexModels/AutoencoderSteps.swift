// Training steps for the autoencoders and the VAE, so that each trains through `Trainer` with its callbacks,
// checkpoints and exact resume.
import CortexCore

/// A penalty that keeps an autoencoder's code sparse.
public enum SparsityPenalty: Sendable, Equatable {
    case none
    /// weight · mean |code|.
    case l1(weight: Float)
    /// weight · Σ_j KL(ρ ‖ ρ̂_j), ρ̂_j the batch mean of σ(code_j): each unit active a share ρ of the time
    /// (Ng's sparse autoencoder).
    case kl(target: Float, weight: Float)

    /// The penalty of a batch of codes, a scalar; nil for `.none`.
    func penalty(_ code: Tensor) -> Tensor? {
        switch self {
        case .none:
            return nil
        case .l1(let weight):
            return code.abs().mean() * weight
        case .kl(let rho, let weight):
            precondition(rho > 0 && rho < 1, "SparsityPenalty.kl: the target activation must be in (0, 1), got \(rho)")
            let active = code.sigmoid().mean(dim: 0).clamped(min: 1e-6, max: 1 - 1e-6)
            let divergence = (active.reciprocal() * rho).log() * rho + ((1 - active).reciprocal() * (1 - rho)).log() * (1 - rho)
            return divergence.sum() * weight
        }
    }
}

/// How an autoencoder's reconstruction is scored while training.
public enum ReconstructionLoss: String, Sendable, Codable {
    /// Mean squared error of σ(logits) against the target, per value.
    case meanSquaredError = "mse"
    /// Binary cross-entropy of the logits against the target, per value: for pixel intensities in [0, 1].
    case binaryCrossEntropy = "bce"
}

/// Trains an autoencoder to rebuild the batch's target from its input: give it a dataset whose targets are its
/// inputs (and, for a denoising autoencoder, a noise transform, which the Trainer applies to the input only).
/// Reports the mean squared error of the reconstruction per value as its metric, whatever the loss.
public final class AutoencoderStep: TrainingStep {
    public let model: any Autoencoding
    public let optimizer: Optimizer
    public let loss: ReconstructionLoss
    public let sparsity: SparsityPenalty

    public init(_ model: any Autoencoding, _ optimizer: Optimizer, loss: ReconstructionLoss = .meanSquaredError, sparsity: SparsityPenalty = .none) {
        (self.model, self.optimizer, self.loss, self.sparsity) = (model, optimizer, loss, sparsity)
    }

    public var optimizers: [String: Optimizer] { ["optimizer": optimizer] }
    public var metric: (name: String, lowerIsBetter: Bool)? { ("mse", true) }

    /// The loss (reconstruction plus penalty), the reconstruction's MSE and the penalty, as tensors.
    func terms(_ batch: Batch) -> (loss: Tensor, mse: Tensor, penalty: Tensor?) {
        let code = model.encode(batch.input)
        let logits = model.decodeLogits(code)
        let target = batch.target.reshaped(logits.shape)
        let reconstruction = logits.sigmoid()
        let mse = mseLoss(reconstruction, target)
        let fit = loss == .meanSquaredError ? mse : binaryCrossEntropyWithLogits(logits, target)
        let penalty = sparsity.penalty(code)
        return (penalty.map { fit + $0 } ?? fit, mse, penalty)
    }

    public func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let (value, mse, penalty) = terms(batch)
        let read = Tensor.stack([value, mse] + (penalty.map { [$0] } ?? [])).detach().scalars.map(Double.init)
        guard read[0].isFinite else { return StepOutput(loss: read[0]) }
        optimizer.zeroGrad()
        value.backward()
        optimizer.step()
        var values = ["mse": read[1]]
        if read.count > 2 { values["sparsity"] = read[2] }
        return StepOutput(loss: read[0], values: values)
    }

    public func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let (value, mse, _) = noGrad { terms(batch) }
        let read = Tensor.stack([value, mse]).scalars.map(Double.init)
        return StepOutput(loss: read[0], values: ["mse": read[1]])
    }
}

/// Trains a VAE on the batch's inputs by the β-weighted negative ELBO; a conditional VAE takes the batch's
/// targets as its labels. The loss and the reported "reconstruction" and "kl" are nats per example; the metric
/// is the negative ELBO (β = 1) itself, lower better.
public final class VAEStep: TrainingStep {
    public let model: VariationalAutoencoder
    public let optimizer: Optimizer
    public let beta: Float

    public init(_ model: VariationalAutoencoder, _ optimizer: Optimizer, beta: Float = 1) {
        precondition(beta >= 0 && beta.isFinite, "VAEStep: beta must be a non-negative number, got \(beta)")
        (self.model, self.optimizer, self.beta) = (model, optimizer, beta)
    }

    public var optimizers: [String: Optimizer] { ["optimizer": optimizer] }
    public var metric: (name: String, lowerIsBetter: Bool)? { ("negative_elbo", true) }

    private func terms(_ batch: Batch) -> EvidenceLowerBoundTerms {
        model.losses(batch.input, labels: model.classes == nil ? nil : batch.target)
    }

    private func output(_ terms: EvidenceLowerBoundTerms, loss: Tensor) -> (StepOutput, Bool) {
        let read = Tensor.stack([loss, terms.reconstruction, terms.kl]).detach().scalars.map(Double.init)
        return (StepOutput(loss: read[0], values: ["reconstruction": read[1], "kl": read[2], "negative_elbo": read[1] + read[2]]),
                read[0].isFinite)
    }

    public func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let parts = terms(batch)
        let loss = parts.loss(beta: beta)
        let (result, finite) = output(parts, loss: loss)
        guard finite else { return result }
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        return result
    }

    /// Scored with one code drawn per example from the sampler's own stream, as in training.
    public func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        noGrad {
            let parts = terms(batch)
            return output(parts, loss: parts.loss(beta: beta)).0
        }
    }
}
