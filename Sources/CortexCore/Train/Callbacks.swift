// Callbacks: code that runs at fixed points of `Trainer.fit` — stopping early, stepping schedules,
// saving the best weights. Progress display, CSV logs and checkpoints have files of their own.
import CortexEngine
import Foundation

/// Hooks into the training loop. Every method has an empty default.
public protocol Callback: AnyObject {
    func trainingWillBegin(_ trainer: Trainer)
    func epochWillBegin(_ trainer: Trainer, epoch: Int)
    /// After each optimiser step; `loss` is that batch's mean loss.
    func batchDidEnd(_ trainer: Trainer, epoch: Int, batch: Int, batches: Int, loss: Double, samples: Int)
    /// After each epoch's validation. Throwing stops training with that error.
    func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws
    /// When `fit` returns. Throwing makes `fit` throw (after every callback has been told); when training
    /// already failed, that first error is the one `fit` throws.
    func trainingDidEnd(_ trainer: Trainer) throws
    /// State to keep in a checkpoint so a resumed run behaves as an uninterrupted one.
    func checkpointState() -> [String: String]
    func restore(checkpointState: [String: String]) throws
}

extension Callback {
    public func trainingWillBegin(_ trainer: Trainer) {}
    public func epochWillBegin(_ trainer: Trainer, epoch: Int) {}
    public func batchDidEnd(_ trainer: Trainer, epoch: Int, batch: Int, batches: Int, loss: Double, samples: Int) {}
    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {}
    public func trainingDidEnd(_ trainer: Trainer) throws {}
    public func checkpointState() -> [String: String] { [:] }
    public func restore(checkpointState: [String: String]) throws {}
}

/// A quantity of an epoch record that callbacks watch.
public enum Monitor: String, Sendable {
    case trainLoss = "loss", validationLoss = "val_loss", trainMetric = "metric", validationMetric = "val_metric"

    func value(_ record: EpochRecord) -> Double? {
        switch self {
        case .trainLoss: record.trainLoss
        // Without a validation set, the validation loss falls back to the training loss, so the
        // default monitor works for every run.
        case .validationLoss: record.validationLoss ?? record.trainLoss
        case .trainMetric: record.trainMetric
        case .validationMetric: record.validationMetric
        }
    }

    /// Losses improve downwards; accuracy upwards; mean absolute error downwards.
    func lowerIsBetter(_ trainer: Trainer) -> Bool {
        switch self {
        case .trainLoss, .validationLoss: true
        case .trainMetric, .validationMetric: trainer.step.metric?.lowerIsBetter ?? true
        }
    }

    /// Whether `value` beats `best` (none yet counts as beaten) by more than `minDelta`.
    func isImprovement(_ value: Double, over best: Double?, minDelta: Double = 0, _ trainer: Trainer) -> Bool {
        Self.isImprovement(value, over: best, minDelta: minDelta, lowerIsBetter: lowerIsBetter(trainer))
    }

    /// Whether `value` beats `best` (none yet counts as beaten) by more than `minDelta` in the better direction.
    static func isImprovement(_ value: Double, over best: Double?, minDelta: Double, lowerIsBetter: Bool) -> Bool {
        guard let best else { return true }
        return lowerIsBetter ? value < best - minDelta : value > best + minDelta
    }
}

/// Stops training when the monitored value has not improved by `minDelta` for `patience` epochs,
/// and (by default) puts back the weights of the best epoch.
///
/// What is watched is a quantity of the epoch record (`monitor`), or a score measured after each epoch
/// (`init(score:higherIsBetter:…)`) for model choice by a measure the training step does not report, such as
/// average precision on a validation set. With `patience: .max` it never stops and only keeps the best weights.
public final class EarlyStopping: Callback {
    /// The record's quantity watched; nil for a score measured by a closure.
    public let monitor: Monitor?
    public let patience: Int, minDelta: Double, restoreBestWeights: Bool
    public private(set) var bestEpoch: Int?
    /// The best value seen so far.
    public private(set) var best: Double?
    private var wait = 0
    private var bestWeights: [String: Tensor]?
    private let name: String
    private let measure: (EpochRecord) throws -> Double?
    private let lowerIsBetter: (Trainer) -> Bool

    public init(monitor: Monitor = .validationLoss, patience: Int = 5, minDelta: Double = 0, restoreBestWeights: Bool = true) {
        require(patience >= 0 && minDelta >= 0, "EarlyStopping: patience and minDelta must be non-negative")
        (self.monitor, self.patience, self.minDelta, self.restoreBestWeights) = (monitor, patience, minDelta, restoreBestWeights)
        (name, measure, lowerIsBetter) = (monitor.rawValue, { monitor.value($0) }, { monitor.lowerIsBetter($0) })
    }

    /// Watches `score()`, measured after each epoch's validation; `name` appears in the stop reason.
    public init(score name: String, higherIsBetter: Bool, patience: Int = .max, minDelta: Double = 0, restoreBestWeights: Bool = true,
                _ score: @escaping () throws -> Double) {
        require(patience >= 0 && minDelta >= 0, "EarlyStopping: patience and minDelta must be non-negative")
        (monitor, self.patience, self.minDelta, self.restoreBestWeights) = (nil, patience, minDelta, restoreBestWeights)
        (self.name, measure, lowerIsBetter) = (name, { _ in try score() }, { _ in !higherIsBetter })
    }

    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        guard let value = try measure(record) else { return }
        if Monitor.isImprovement(value, over: best, minDelta: minDelta, lowerIsBetter: lowerIsBetter(trainer)) {
            best = value
            bestEpoch = record.epoch
            wait = 0
            if restoreBestWeights { bestWeights = trainer.model.stateDict().mapValues { $0.copied() } }
        } else {
            wait += 1
            if wait > patience { trainer.requestStop(reason: "early stopping: \(name) has not improved for \(patience) epochs") }
        }
    }

    public func trainingDidEnd(_ trainer: Trainer) throws {
        guard restoreBestWeights, let bestWeights else { return }
        do { try trainer.model.loadStateDict(bestWeights) } catch {
            throw TrainingError.restoreFailed("early stopping could not put back the weights of epoch \(bestEpoch ?? 0): \(error)")
        }
    }
}

/// Steps a learning-rate schedule once per epoch, or once per batch for schedules such as
/// OneCycleLR that count optimiser steps.
public final class ScheduleStepper: Callback {
    public let schedule: LearningRateSchedule
    public let perBatch: Bool

    public init(_ schedule: LearningRateSchedule, perBatch: Bool = false) {
        self.schedule = schedule
        self.perBatch = perBatch
    }

    public func batchDidEnd(_ trainer: Trainer, epoch: Int, batch: Int, batches: Int, loss: Double, samples: Int) {
        if perBatch { schedule.step() }
    }

    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        if !perBatch { schedule.step() }
    }

    public func checkpointState() -> [String: String] { ["epoch": String(schedule.epoch)] }

    public func restore(checkpointState state: [String: String]) throws {
        guard let text = state["epoch"], let epoch = Int(text), epoch >= 0 else {
            throw CheckpointError("schedule state has no epoch count (a whole number ≥ 0)")
        }
        schedule.restore(epoch: epoch)
    }
}

/// Lowers the learning rate when the monitored value plateaus (ReduceLROnPlateau per epoch).
public final class PlateauStepper: Callback {
    public let schedule: ReduceLROnPlateau
    public let monitor: Monitor

    public init(_ schedule: ReduceLROnPlateau, monitor: Monitor = .validationLoss) {
        self.schedule = schedule
        self.monitor = monitor
    }

    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        if let value = monitor.value(record) {
            schedule.step(metric: Float(value))
        }
    }

    public func checkpointState() -> [String: String] { ["snapshot": schedule.snapshot.map { String($0) }.joined(separator: ",")] }

    public func restore(checkpointState state: [String: String]) throws {
        let values = (state["snapshot"] ?? "").split(separator: ",").compactMap { Float(String($0)) }
        // best may be ±infinity before the first epoch; the two counters are small whole numbers.
        guard values.count == 3, !values[0].isNaN,
              values[1...].allSatisfy({ $0 >= 0 && $0 <= 1e6 && $0 == $0.rounded() }) else {
            throw CheckpointError("plateau schedule state '\(state["snapshot"] ?? "")' is malformed")
        }
        schedule.restore(values)
    }
}
