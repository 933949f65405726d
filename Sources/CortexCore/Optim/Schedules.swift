// Learning-rate schedules with torch.optim.lr_scheduler's formulas. Each maps an epoch (or step)
// count to a rate; `step()` advances the count and writes the rate into the optimiser.
import CortexEngine
import Foundation

/// A schedule driven by a step counter, as PyTorch's LRScheduler: call `step()` once per epoch (or
/// per batch for `OneCycleLR`), after the optimiser's steps of that period.
open class LearningRateSchedule: @unchecked Sendable {
    public let optimizer: Optimizer
    /// The rate the schedule scales (the optimiser's rate when the schedule was made).
    public let baseLearningRate: Float
    /// How many times `step()` has been called (PyTorch's last_epoch).
    public private(set) var epoch = 0

    public init(_ optimizer: Optimizer) {
        self.optimizer = optimizer
        baseLearningRate = optimizer.learningRate
        optimizer.learningRate = learningRate(at: 0)
    }

    /// The rate in effect after `epoch` calls of `step()`.
    open func learningRate(at epoch: Int) -> Float { baseLearningRate }

    public func step() {
        epoch += 1
        optimizer.learningRate = learningRate(at: epoch)
    }

    /// Jumps to a given epoch (used when resuming from a checkpoint).
    public func restore(epoch: Int) {
        self.epoch = epoch
        optimizer.learningRate = learningRate(at: epoch)
    }
}

/// base · γ^⌊epoch / stepSize⌋ (torch.optim.lr_scheduler.StepLR).
public final class StepLR: LearningRateSchedule, @unchecked Sendable {
    public let stepSize: Int, gamma: Float
    public init(_ optimizer: Optimizer, stepSize: Int, gamma: Float = 0.1) {
        require(stepSize > 0, "StepLR: step size must be positive, got \(stepSize)")
        (self.stepSize, self.gamma) = (stepSize, gamma)
        super.init(optimizer)
    }
    public override func learningRate(at epoch: Int) -> Float {
        Float(Double(baseLearningRate) * pow(Double(gamma), Double(epoch / stepSize)))
    }
}

/// base · γ^epoch (torch.optim.lr_scheduler.ExponentialLR).
public final class ExponentialLR: LearningRateSchedule, @unchecked Sendable {
    public let gamma: Float
    public init(_ optimizer: Optimizer, gamma: Float) {
        self.gamma = gamma
        super.init(optimizer)
    }
    public override func learningRate(at epoch: Int) -> Float {
        Float(Double(baseLearningRate) * pow(Double(gamma), Double(epoch)))
    }
}

/// η_min + (base − η_min)(1 + cos(π·epoch/T_max))/2 (torch.optim.lr_scheduler.CosineAnnealingLR).
public final class CosineAnnealingLR: LearningRateSchedule, @unchecked Sendable {
    public let tMax: Int, etaMin: Float
    public init(_ optimizer: Optimizer, tMax: Int, etaMin: Float = 0) {
        require(tMax > 0, "CosineAnnealingLR: T_max must be positive, got \(tMax)")
        (self.tMax, self.etaMin) = (tMax, etaMin)
        super.init(optimizer)
    }
    public override func learningRate(at epoch: Int) -> Float {
        let base = Double(baseLearningRate), low = Double(etaMin)
        return Float(low + (base - low) * (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2)
    }
}

/// Linear warm-up: base · (start + (end − start)·min(epoch, total)/total) (torch.optim.lr_scheduler.LinearLR).
public final class LinearLR: LearningRateSchedule, @unchecked Sendable {
    public let startFactor: Float, endFactor: Float, totalIterations: Int
    public init(_ optimizer: Optimizer, startFactor: Float = 1.0 / 3, endFactor: Float = 1, totalIterations: Int = 5) {
        require(startFactor > 0 && startFactor <= 1 && endFactor >= 0 && endFactor <= 1, "LinearLR: factors must be in (0, 1] and [0, 1]")
        require(totalIterations > 0, "LinearLR: total iterations must be positive")
        (self.startFactor, self.endFactor, self.totalIterations) = (startFactor, endFactor, totalIterations)
        super.init(optimizer)
    }
    public override func learningRate(at epoch: Int) -> Float {
        let progress = Double(min(epoch, totalIterations)) / Double(totalIterations)
        return Float(Double(baseLearningRate) * (Double(startFactor) + Double(endFactor - startFactor) * progress))
    }
}

/// The one-cycle policy, stepped once per batch (torch.optim.lr_scheduler.OneCycleLR with cosine
/// annealing and two phases): from maxLR/divFactor up to maxLR over the first `pctStart` of the
/// steps, then down to maxLR/(divFactor·finalDivFactor). Momentum is not cycled.
public final class OneCycleLR: LearningRateSchedule, @unchecked Sendable {
    public let maxLearningRate: Float, totalSteps: Int, pctStart: Float, divFactor: Float, finalDivFactor: Float
    public init(_ optimizer: Optimizer, maxLearningRate: Float, totalSteps: Int, pctStart: Float = 0.3,
                divFactor: Float = 25, finalDivFactor: Float = 1e4) {
        require(totalSteps > 1, "OneCycleLR: total steps must be more than 1, got \(totalSteps)")
        require(pctStart > 0 && pctStart < 1, "OneCycleLR: pctStart must be in (0, 1), got \(pctStart)")
        (self.maxLearningRate, self.totalSteps, self.pctStart, self.divFactor, self.finalDivFactor) =
            (maxLearningRate, totalSteps, pctStart, divFactor, finalDivFactor)
        super.init(optimizer)
    }
    public override func learningRate(at step: Int) -> Float {
        let initial = Double(maxLearningRate) / Double(divFactor), peak = Double(maxLearningRate)
        let final = initial / Double(finalDivFactor)
        let warmEnd = Double(pctStart) * Double(totalSteps) - 1, end = Double(totalSteps - 1)
        let s = Double(min(step, totalSteps - 1))
        func anneal(_ from: Double, _ to: Double, _ pct: Double) -> Double { to + (from - to) / 2 * (cos(Double.pi * pct) + 1) }
        if s <= warmEnd { return Float(anneal(initial, peak, s / warmEnd)) }
        return Float(anneal(peak, final, (s - warmEnd) / (end - warmEnd)))
    }
}

/// Cuts the rate by `factor` when a monitored metric stops improving for `patience` epochs
/// (torch.optim.lr_scheduler.ReduceLROnPlateau, relative threshold). Call `step(metric:)` per epoch.
public final class ReduceLROnPlateau: @unchecked Sendable {
    public enum Mode: Sendable { case min, max }
    public let optimizer: Optimizer
    public let mode: Mode, factor: Float, patience: Int, threshold: Float, cooldown: Int, minLearningRate: Float
    public private(set) var best: Float
    public private(set) var badEpochs = 0
    private var cooldownLeft = 0

    public init(_ optimizer: Optimizer, mode: Mode = .min, factor: Float = 0.1, patience: Int = 10, threshold: Float = 1e-4,
                cooldown: Int = 0, minLearningRate: Float = 0) {
        require(factor > 0 && factor < 1, "ReduceLROnPlateau: factor must be in (0, 1), got \(factor)")
        require(patience >= 0 && cooldown >= 0, "ReduceLROnPlateau: patience and cooldown must be non-negative")
        (self.optimizer, self.mode, self.factor, self.patience, self.threshold, self.cooldown, self.minLearningRate) =
            (optimizer, mode, factor, patience, threshold, cooldown, minLearningRate)
        best = mode == .min ? .infinity : -.infinity
    }

    private func isImprovement(_ value: Float) -> Bool {
        mode == .min ? value < best * (1 - threshold) : value > best * (1 + threshold)
    }

    /// Records one epoch's metric and lowers the rate if it has plateaued.
    public func step(metric value: Float) {
        if isImprovement(value) {
            best = value
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            let reduced = max(optimizer.learningRate * factor, minLearningRate)
            // PyTorch skips reductions smaller than 1e-8.
            if optimizer.learningRate - reduced > 1e-8 { optimizer.learningRate = reduced }
            cooldownLeft = cooldown
            badEpochs = 0
        }
    }

    /// State for checkpoints: best value, bad-epoch and cooldown counters.
    public var snapshot: [Float] { [best, Float(badEpochs), Float(cooldownLeft)] }

    public func restore(_ snapshot: [Float]) {
        require(snapshot.count == 3, "ReduceLROnPlateau.restore: expected 3 values, got \(snapshot.count)")
        best = snapshot[0]
        badEpochs = Int(snapshot[1])
        cooldownLeft = Int(snapshot[2])
    }
}
