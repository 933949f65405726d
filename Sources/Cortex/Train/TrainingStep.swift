// What one step of training does with a batch — the part of the loop that differs between model
// families — so that a classifier, a VAE (two-term loss), a GAN (two optimisers) or an RBM (no
// autograd) all train through the same Trainer, with its callbacks, progress, checkpoints and resume.

/// The loss of one batch and whatever else the step wants reported, each a mean over the batch.
public struct StepOutput: Sendable {
    /// The value the loop checks for NaN and the progress bar shows.
    public var loss: Double
    /// Other values by name ("kl", "d_loss", "accuracy"); averaged over each epoch into `EpochRecord.values`.
    public var values: [String: Double]

    public init(loss: Double, values: [String: Double] = [:]) {
        self.loss = loss
        self.values = values
    }
}

/// One training step and one evaluation step, as Keras' `train_step` / Lightning's `training_step`.
///
/// ```swift
/// final class VAEStep: TrainingStep {
///     let vae: VAE, optimizer: Adam
///     var optimizers: [String: Optimizer] { ["optimizer": optimizer] }
///     func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
///         let (reconstruction, kl) = vae.losses(batch.input)
///         let loss = reconstruction + kl
///         optimizer.zeroGrad(); loss.backward(); optimizer.step()
///         return StepOutput(loss: Double(loss.item()), values: ["kl": Double(kl.item())])
///     }
/// }
/// try Trainer(vae, step: VAEStep(...)).fit(images, epochs: 10, callbacks: [ProgressBar()])
/// ```
public protocol TrainingStep: AnyObject {
    /// Every optimiser the step updates, by name. Checkpoints save and restore each; the one named
    /// "optimizer" (or else the first by name) is `Trainer.optimizer`, whose rate the history records.
    var optimizers: [String: Optimizer] { get }
    /// The value of `StepOutput.values` shown and recorded as the epoch's metric, and whether lower is
    /// better (for callbacks that monitor it). Nil: the loss is the only figure.
    var metric: (name: String, lowerIsBetter: Bool)? { get }
    /// Trains on one batch (the model is in training mode).
    func train(on batch: Batch, trainer: Trainer) throws -> StepOutput
    /// Scores one batch without changing anything (evaluation mode, no gradients recorded).
    func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput
}

extension TrainingStep {
    public var metric: (name: String, lowerIsBetter: Bool)? { nil }
}

/// The classic supervised step: forward, loss against the target, backward, optimiser step; reports
/// accuracy for classification losses and mean absolute error otherwise.
public final class SupervisedStep: TrainingStep {
    public let model: any Layer
    public let optimizer: Optimizer
    public let loss: Loss

    public init(_ model: any Layer, _ optimizer: Optimizer, loss: Loss) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
    }

    public var optimizers: [String: Optimizer] { ["optimizer": optimizer] }
    public var metric: (name: String, lowerIsBetter: Bool)? { loss.isClassification ? ("accuracy", false) : ("mae", true) }

    public func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let output = model(batch.input)
        let value = loss(output, batch.target)
        let scalar = Double(value.item())
        // A non-finite loss is not stepped on: the loop stops with it, and the weights stay as they were.
        guard scalar.isFinite else { return StepOutput(loss: scalar) }
        optimizer.zeroGrad()
        value.backward()
        optimizer.step()
        return StepOutput(loss: scalar, values: [metric!.name: noGrad { batchMetric(output, batch.target) }])
    }

    public func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let output = model(batch.input)
        return StepOutput(loss: Double(loss(output, batch.target).item()), values: [metric!.name: batchMetric(output, batch.target)])
    }

    /// Accuracy (classification) or mean absolute error (regression) of one batch.
    func batchMetric(_ output: Tensor, _ target: Tensor) -> Double {
        if loss.isClassification {
            let predicted = output.argmax(dim: 1).integers, truth = target.integers
            return Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(max(truth.count, 1))
        }
        return Double((output.reshaped(target.shape) - target).abs().mean().item())
    }
}
