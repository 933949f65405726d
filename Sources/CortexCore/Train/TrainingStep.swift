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
///
/// A step that should train data-parallel (`Trainer.collective`) calls `trainer.backward(loss, averaging:
/// parameters, over: batch)` instead of `loss.backward()`, and reports `trainer.globalMeans(…)` of its figures.
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
    /// After `train(on:)` gave a non-finite loss on `batch`: the first op of its forward pass that produced NaN
    /// or ±∞ (`Tracer.firstNonFinite`), leaving the model as it was. Nil where the step cannot tell.
    func locateNonFinite(in batch: Batch, trainer: Trainer) -> NonFiniteOrigin?
}

extension TrainingStep {
    public var metric: (name: String, lowerIsBetter: Bool)? { nil }
    public func locateNonFinite(in batch: Batch, trainer: Trainer) -> NonFiniteOrigin? { nil }
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
        // The step's one read from the device: the loss and the batch metric together, as the progress bar
        // shows them (both are known after the forward pass).
        let local = readLossAndMetric(value, output, batch.target)
        // Under data parallelism, the global batch's figures, as one process would report them.
        let read = try trainer.globalMeans([local.loss, local.metric], of: batch)
        // A non-finite loss is not stepped on: the loop stops with it, and the weights stay as they were.
        guard read[0].isFinite else { return StepOutput(loss: read[0]) }
        optimizer.zeroGrad()
        try trainer.backward(value, averaging: model.trainableParameters(), over: batch)
        optimizer.step()
        return StepOutput(loss: read[0], values: [metric!.name: read[1]])
    }

    public func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let output = model(batch.input)
        let read = readLossAndMetric(loss(output, batch.target), output, batch.target)
        return StepOutput(loss: read.loss, values: [metric!.name: read.metric])
    }

    public func locateNonFinite(in batch: Batch, trainer: Trainer) -> NonFiniteOrigin? {
        // The replay runs in training mode, as the failing step did; BatchNorm's running statistics are put back after.
        let buffers = model.namedBuffers().map { ($0.1, $0.1.copied()) }
        defer { noGrad { for (buffer, saved) in buffers { buffer.assign(saved) } } }
        return noGrad {
            Tracer.firstNonFinite(model, inputs: [batch.input, batch.target]) { loss(model($0[0]), $0[1]) }
        }
    }

    private func readLossAndMetric(_ value: Tensor, _ output: Tensor, _ target: Tensor) -> (loss: Double, metric: Double) {
        let both = noGrad { Tensor.cat([value.detach().reshaped([1]), batchMetric(output.detach(), target).reshaped([1])]) }.scalars
        return (Double(both[0]), Double(both[1]))
    }

    /// Accuracy (classification) or mean absolute error (regression) of one batch, computed on the device.
    func batchMetric(_ output: Tensor, _ target: Tensor) -> Tensor {
        if loss.isClassification { return output.argmax(dim: 1).eq(target).to(.float32).mean() }
        return (output.reshaped(target.shape) - target).abs().mean()
    }
}
