// The training loop one level up from a hand-written one: fit / evaluate / predict, with history,
// callbacks, a stop on non-finite loss, and resumable checkpoints.
import CortexEngine
import Foundation

/// Why training stopped with an error.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case nonFiniteLoss(epoch: Int, batch: Int, value: Double)
    case emptyDataset(String)
    /// A callback could not restore what it promised to (EarlyStopping's best weights).
    case restoreFailed(String)
    /// The device failed during a step (out of memory, say); `batch` 0 is the epoch's validation.
    case deviceFailed(epoch: Int, batch: Int, DeviceError)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, batch, value):
            "training stopped: the loss became \(value) at epoch \(epoch), batch \(batch); the last good checkpoint (if any) is kept"
        case let .emptyDataset(which): "training stopped: the \(which) dataset is empty"
        case let .restoreFailed(what): "training ended, but \(what)"
        case let .deviceFailed(epoch, batch, error):
            "training stopped at epoch \(epoch), \(batch == 0 ? "validation" : "batch \(batch)"): \(error)"
                + (error.isOutOfMemory ? "; try a smaller batch size" : "") + ". The last checkpoint (if any) is kept"
        }
    }
}

/// The loss and metric of a model over a dataset, with its raw outputs.
public struct Evaluation: Sendable {
    public let loss: Double
    /// Accuracy for classification, mean absolute error for regression.
    public let metric: Double
    public let outputs: Tensor
    public let targets: Tensor
}

/// Trains a model with an optimiser and a loss, as the loop every practitioner writes — batches,
/// forward, loss, backward, step — plus validation, history and callbacks. Any other kind of step (a
/// VAE's, a GAN's, an RBM's) plugs in as a `TrainingStep` and gets the same loop.
///
/// ```swift
/// let trainer = Trainer(model, Adam(model.parameters()), loss: .crossEntropy)
/// try trainer.fit(train, validation: test, epochs: 5, callbacks: [EarlyStopping(patience: 3), ProgressBar()])
/// ```
public final class Trainer: @unchecked Sendable {
    /// Everything the run trains: its state dict is what checkpoints and `EarlyStopping` save.
    public let model: Module
    /// What each batch does; `SupervisedStep` for the (model, optimizer, loss) initialiser.
    public let step: any TrainingStep
    /// The step's main optimiser (named "optimizer", or else the first by name).
    public let optimizer: Optimizer
    /// The loss of a supervised run; nil for other steps.
    public var loss: Loss? { (step as? SupervisedStep)?.loss }
    public internal(set) var history: History
    /// Epochs completed so far (by this trainer or the checkpoint it resumed from).
    public internal(set) var completedEpochs = 0
    public private(set) var stopReason: String?
    /// When training stopped on a non-finite loss: the first op that produced NaN or ±∞ in that batch's forward
    /// pass, where the step can tell (`TrainingStep.locateNonFinite`).
    public private(set) var nonFiniteOrigin: NonFiniteOrigin?
    /// Whether the last `fit` stopped because a batch's loss was NaN or ±∞.
    public private(set) var stoppedOnNonFiniteLoss = false
    /// The training metric averaged over the current epoch's batches so far (for progress displays).
    public private(set) var runningMetric = 0.0
    /// The replicas this trainer trains with (data parallelism), or nil to train alone. With one, `fit`'s
    /// `batchSize` is the per-replica batch: every replica shuffles the same order, takes its shard of each global
    /// batch of `batchSize × size` examples, and steps on the gradient averaged over all of them, so N replicas at
    /// batch B follow the run one process makes at batch N × B.
    public var collective: (any TrainingCollective)?
    /// Generator state for the training loader's shuffling, restored by `resume(from:)`.
    var loaderState: [UInt64]?
    var loader: DataLoader?
    /// The augmentation of the current `fit`, and its generators' state after the last complete epoch (or
    /// as restored by `resume(from:)`, applied when `fit` is given the transform).
    var transform: (any BatchTransform)?
    var transformState: [String: [UInt64]]?

    /// A supervised trainer: `loss(model(input), target)` minimised by `optimizer`.
    public convenience init(_ model: any Layer, _ optimizer: Optimizer, loss: Loss) {
        self.init(model, step: SupervisedStep(model, optimizer, loss: loss))
    }

    /// A trainer whose batches go through `step`. `model` holds every module the step trains.
    public init(_ model: Module, step: any TrainingStep) {
        let optimizers = step.optimizers
        require(!optimizers.isEmpty, "Trainer: the training step names no optimiser")
        self.model = model
        self.step = step
        optimizer = optimizers["optimizer"] ?? optimizers.sorted { $0.key < $1.key }[0].value
        history = History(metricName: step.metric?.name ?? "")
    }

    /// Asks the loop to stop after the current epoch (used by EarlyStopping).
    public func requestStop(reason: String) { stopReason = reason }

    /// Trains until `epochs` epochs are complete (counting any resumed ones) or a callback stops it.
    /// `transform` (augmentation) is applied to each training batch's "input"; its generators are saved in
    /// checkpoints, so a resumed run continues its random crops and flips exactly.
    @discardableResult
    public func fit(_ train: any Dataset, validation: (any Dataset)? = nil, epochs: Int, batchSize: Int = 64,
                    shuffle: Bool = true, seed: UInt64 = 0, transform: (any BatchTransform)? = nil,
                    callbacks: [any Callback] = []) throws -> History {
        require(epochs > 0, "fit: epochs must be positive, got \(epochs)")
        guard train.count > 0 else { throw TrainingError.emptyDataset("training") }
        if let validation, validation.count == 0 { throw TrainingError.emptyDataset("validation") }
        if let transform, let saved = transformState {
            for (name, generator) in transform.generators {
                guard let words = saved[name] else {
                    throw CheckpointError("the checkpoint resumed from has no state for the transform's generator '\(name)' "
                                          + "(saved: \(saved.keys.sorted().joined(separator: ", ")))")
                }
                generator.restore(words)
            }
        }
        self.transform = transform
        var batchFunction: (@Sendable (Tensor) -> Tensor)?
        if let transform { batchFunction = { transform($0) } }
        let loader = DataLoader(train, batchSize: batchSize, shuffle: shuffle, seed: seed, transform: batchFunction,
                                shard: collective.map { (rank: $0.rank, count: $0.size) })
        // Every replica starts from rank 0's weights (a resumed run's are equal already; this costs one broadcast).
        try collective?.synchronizeModel(model)
        // Synchronised batch norms gather their statistics over these replicas while this fit lasts.
        let synchronizedNorms = collective == nil ? [] : model.modules().compactMap { $0 as? BatchNorm }.filter(\.synchronized)
        for norm in synchronizedNorms { norm.replicas = collective }
        defer { for norm in synchronizedNorms { norm.replicas = nil } }
        if let loaderState { loader.generator.restore(loaderState) }
        self.loader = loader
        defer { self.loader = nil }
        stopReason = nil
        nonFiniteOrigin = nil
        stoppedOnNonFiniteLoss = false
        callbacks.forEach { $0.trainingWillBegin(self) }
        do {
            try runEpochs(loader, validation: validation, epochs: epochs, batchSize: batchSize, callbacks: callbacks)
        } catch {
            // Every callback still hears that training ended (files close); the training error is the one reported.
            for c in callbacks { try? c.trainingDidEnd(self) }
            throw error
        }
        var firstError: Error?
        for c in callbacks {
            do { try c.trainingDidEnd(self) } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
        return history
    }

    private func runEpochs(_ loader: DataLoader, validation: (any Dataset)?, epochs: Int, batchSize: Int,
                           callbacks: [any Callback]) throws {
        let metricName = step.metric?.name
        // Ops never throw; the device raises what went wrong (out of memory, say) here, once a step.
        let device = model.parameters().first?.device ?? .default
        func synchronize(epoch: Int, batch: Int) throws {
            do { try device.backend.synchronize() } catch let error as DeviceError {
                throw TrainingError.deviceFailed(epoch: epoch, batch: batch, error)
            }
        }
        while completedEpochs < epochs && stopReason == nil {
            let epoch = completedEpochs + 1
            callbacks.forEach { $0.epochWillBegin(self, epoch: epoch) }
            let start = Date()
            model.train()
            var sums = Sums()
            let batches = loader.count
            for (index, batch) in loader.namedBatches.enumerated() {
                // Under data parallelism the step's per-example random draws (dropout) are the global batch's rows.
                let output = try BatchShard.$current.withValue(batch.shard) { try step.train(on: batch, trainer: self) }
                try synchronize(epoch: epoch, batch: index + 1)
                guard output.loss.isFinite else {
                    stoppedOnNonFiniteLoss = true
                    nonFiniteOrigin = step.locateNonFinite(in: batch, trainer: self)
                    throw TrainingError.nonFiniteLoss(epoch: epoch, batch: index + 1, value: output.loss)
                }
                let n = batch.count
                sums.add(output, count: n)
                runningMetric = metricName.map { sums.mean($0) } ?? sums.meanLoss
                for c in callbacks { c.batchDidEnd(self, epoch: epoch, batch: index + 1, batches: batches, loss: output.loss, samples: n) }
            }
            if let collective { sums = try sums.reduced(over: collective) }
            var record = EpochRecord(epoch: epoch, trainLoss: sums.meanLoss, trainMetric: metricName.map { sums.mean($0) } ?? 0,
                                     validationLoss: nil, validationMetric: nil, learningRate: Double(optimizer.learningRate),
                                     seconds: 0, values: sums.means)
            if let validation {
                let result = try evaluateSteps(validation, batchSize: batchSize)
                try synchronize(epoch: epoch, batch: 0)
                record.validationLoss = result.meanLoss
                record.validationMetric = metricName.map { result.mean($0) }
            }
            record.seconds = Date().timeIntervalSince(start)
            history.epochs.append(record)
            completedEpochs = epoch
            loaderState = loader.generator.snapshot
            transformState = transform.map { Dictionary($0.generators.map { ($0.name, $0.generator.snapshot) }, uniquingKeysWith: { a, _ in a }) }
            for c in callbacks { try c.epochDidEnd(self, record: record) }
        }
    }

    /// Example-weighted sums of step outputs over an epoch.
    struct Sums {
        var loss = 0.0, count = 0
        var values: [String: Double] = [:]
        mutating func add(_ output: StepOutput, count n: Int) {
            loss += output.loss * Double(n)
            for (name, value) in output.values { values[name, default: 0] += value * Double(n) }
            count += n
        }
        var meanLoss: Double { loss / Double(max(count, 1)) }
        /// The sums of every replica together (names in sorted order, so every replica sends the same layout).
        func reduced(over collective: any TrainingCollective) throws -> Sums {
            let names = values.keys.sorted()
            let total = try collective.sum([loss, Double(count)] + names.map { values[$0]! })
            var out = Sums()
            (out.loss, out.count) = (total[0], Int(total[1].rounded()))
            for (i, name) in names.enumerated() { out.values[name] = total[2 + i] }
            return out
        }
        func mean(_ name: String) -> Double { (values[name] ?? 0) / Double(max(count, 1)) }
        var means: [String: Double] { values.mapValues { $0 / Double(max(count, 1)) } }
    }

    /// The step's evaluation over a dataset, in evaluation mode with no gradients recorded; with replicas, each
    /// evaluates its share and the sums are added up.
    func evaluateSteps(_ data: any Dataset, batchSize: Int) throws -> Sums {
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        var sums = Sums()
        guard let collective, collective.size > 1 else {
            try noGrad {
                for batch in DataLoader(data, batchSize: batchSize, prefetch: true).namedBatches {
                    sums.add(try step.evaluate(on: batch, trainer: self), count: batch.count)
                }
            }
            return sums
        }
        // Replicas split the validation set (every size-th example from the rank's own) and add up their sums.
        let mine = Array(stride(from: collective.rank, to: data.count, by: collective.size))
        try noGrad {
            for start in stride(from: 0, to: mine.count, by: batchSize) {
                let batch = data.namedBatch(at: Array(mine[start..<min(start + batchSize, mine.count)]))
                sums.add(try step.evaluate(on: batch, trainer: self), count: batch.count)
            }
        }
        return try sums.reduced(over: collective)
    }

    /// The supervised model, for the calls that need one (stops for a trainer built on another step).
    private var supervised: SupervisedStep {
        guard let step = step as? SupervisedStep else {
            fatalError("Trainer: evaluate(_:) and predict(_:) need a supervised trainer (model, optimizer, loss); "
                       + "this one trains a \(type(of: step))")
        }
        return step
    }

    /// The loss and metric over a dataset in evaluation mode, with every output.
    public func evaluate(_ data: any Dataset, batchSize: Int = 256) -> Evaluation {
        let step = supervised, layer = step.model
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        var outputs: [Tensor] = [], targets: [Tensor] = []
        // Loss and metric totals stay on the device and are read once, after the last batch.
        var sums: Tensor?
        noGrad {
            for (input, target) in DataLoader(data, batchSize: batchSize, prefetch: true) {
                let output = layer(input)
                let n = Float(input.shape[0])
                let batchSums = Tensor.cat([step.loss(output, target).reshaped([1]), step.batchMetric(output, target).reshaped([1])]) * n
                sums = sums.map { $0 + batchSums } ?? batchSums
                outputs.append(output)
                targets.append(target)
            }
        }
        let totals = sums?.scalars.map(Double.init) ?? [0, 0]
        let lossSum = totals[0], metricSum = totals[1]
        let count = Double(max(data.count, 1))
        return Evaluation(loss: lossSum / count, metric: metricSum / count, outputs: Tensor.cat(outputs), targets: Tensor.cat(targets))
    }

    /// The model's outputs for `inputs` (first axis = examples), in evaluation mode and batches.
    public func predict(_ inputs: Tensor, batchSize: Int = 256) -> Tensor {
        let layer = supervised.model
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        return noGrad {
            Tensor.cat(inputs.split(batchSize).map { layer($0) })
        }
    }
}
