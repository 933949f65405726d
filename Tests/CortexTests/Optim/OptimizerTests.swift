// Optimisers learn, and save/restore their state exactly; schedules match PyTorch's rates.
import Testing
import Cortex
@testable import CortexCore

/// Minimises ‖xW − y‖² for a fixed random problem whose exact solution exists, and returns the
/// final loss (0 at the optimum).
private func fit(_ make: ([Tensor]) -> Optimizer, steps: Int = 200) -> Float {
    let g = RandomGenerator(seed: 11)
    let x = Tensor.randn([32, 5], generator: g), target = x.matmul(Tensor.randn([5, 3], generator: g))
    let w = Tensor.zeros([5, 3]).requiringGrad()
    let optimizer = make([w])
    var loss: Float = 0
    for _ in 0..<steps {
        optimizer.zeroGrad()
        let l = mseLoss(x.matmul(w), target)
        l.backward()
        optimizer.step()
        loss = l.item()
    }
    return loss
}

@Suite("Optimizers")
struct OptimizerTests {
    /// Updates are element-wise, so a large parameter split over threads must end where the same
    /// optimiser leaves a small parameter holding some of its elements (one chunk, no split).
    @Test(arguments: ["adam", "amsgrad", "adamw", "sgd", "nesterov", "rmsprop", "centered", "adagrad"])
    func chunkedUpdatesEqualUnsplitOnes(kind: String) {
        func make(_ p: [Tensor]) -> Optimizer {
            switch kind {
            case "adam": Adam(p, learningRate: 0.01, weightDecay: 0.1)
            case "amsgrad": Adam(p, learningRate: 0.01, amsgrad: true)
            case "adamw": AdamW(p, learningRate: 0.01)
            case "sgd": SGD(p, learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
            case "nesterov": SGD(p, learningRate: 0.1, momentum: 0.9, nesterov: true)
            case "rmsprop": RMSprop(p, learningRate: 0.01, momentum: 0.5)
            case "centered": RMSprop(p, learningRate: 0.01, centered: true)
            default: Adagrad(p, learningRate: 0.1, learningRateDecay: 0.01)
            }
        }
        let n = 300_007, picked = [0, 1, 32_767, 32_768, 150_000, n - 2, n - 1]
        let g = RandomGenerator(seed: 11)
        let start = Tensor.randn([n], generator: g)
        let grads = (0..<3).map { _ in Tensor.randn([n], generator: g) }
        let big = start.detach().contiguous().copied().requiringGrad()
        let small = Tensor(picked.map { start.scalars[$0] }).requiringGrad()
        let (bigOptimizer, smallOptimizer) = (make([big]), make([small]))
        for grad in grads {
            big.grad = grad
            small.grad = Tensor(picked.map { grad.scalars[$0] })
            bigOptimizer.step()
            smallOptimizer.step()
        }
        let values = big.scalars
        #expect(picked.map { values[$0] } == small.scalars)
    }

    @Test func everyOptimizerReducesTheLoss() {
        let start = fit({ SGD($0, learningRate: 0) }, steps: 1)
        let optimizers: [(String, ([Tensor]) -> Optimizer)] = [
            ("sgd", { SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true) }),
            ("adam", { Adam($0, learningRate: 0.05, amsgrad: true) }),
            ("adamw", { AdamW($0, learningRate: 0.05) }),
            ("rmsprop", { RMSprop($0, learningRate: 0.01, momentum: 0.5, centered: true) }),
            ("adagrad", { Adagrad($0, learningRate: 0.5) }),
        ]
        for (name, make) in optimizers {
            let end = fit(make)
            #expect(end < start * 0.02, "\(name): \(start) → \(end)")
        }
    }

    @Test func restoredStateContinuesExactly() throws {
        let g = RandomGenerator(seed: 3)
        let grads = (0..<6).map { _ in Tensor.randn([4], generator: g) }
        func run(splitAt: Int?) throws -> [Float] {
            let p = Tensor([1, 2, 3, 4] as [Float]).requiringGrad()
            var optimizer = Adam([p], learningRate: 0.1, amsgrad: true)
            for (t, grad) in grads.enumerated() {
                if t == splitAt {
                    // A new optimiser resumed from the saved state, as after a restart.
                    let saved = optimizer.stateDict()
                    optimizer = Adam([p], learningRate: 0.5, amsgrad: true)
                    try optimizer.loadStateDict(saved)
                }
                p.grad = grad
                optimizer.step()
            }
            return p.scalars
        }
        let resumed = try run(splitAt: 3), straight = try run(splitAt: nil)
        #expect(resumed == straight)
    }

    @Test func loadingForeignStateThrows() {
        let optimizer = SGD([Tensor.zeros([2]).requiringGrad()], learningRate: 0.1, momentum: 0.9)
        #expect(throws: StateDictError.self) { try optimizer.loadStateDict([:]) }
        #expect(throws: StateDictError.self) {
            try optimizer.loadStateDict(["lr": Tensor(0.1), "step_count": Tensor(1), "state.0.momentum_buffer": Tensor.zeros([3])])
        }
    }

    /// A saved step count, when it is saved as an integer (nil for a float32 count, as older checkpoints held).
    private func savedCount(_ t: Tensor?) -> Int? {
        guard let t, t.dtype == .int64, t.count == 1 else { return nil }
        return Int(t.int64Values[0])
    }

    @Test func stepCountsPastFloat32sWholeNumbersSaveAndLoadExactly() throws {
        // float32 holds every whole number only up to 2^24 (16,777,216 steps); a longer run's checkpoint must load,
        // to the same count, per parameter too.
        let parameter = Tensor.zeros([2]).requiringGrad()
        let optimizer = Adam([parameter], learningRate: 0.1)
        parameter.grad = Tensor([1, -1] as [Float])
        optimizer.step()
        optimizer.stepCount = (1 << 24) + 3
        let saved = optimizer.stateDict()
        var adjusted = saved
        adjusted["state.0.step"] = Tensor([(1 << 24) + 5], shape: [], dtype: .int64)
        let restored = Adam([Tensor.zeros([2]).requiringGrad()], learningRate: 0.1)
        try restored.loadStateDict(adjusted)
        #expect(restored.stepCount == (1 << 24) + 3)
        #expect(savedCount(restored.stateDict()["state.0.step"]) == (1 << 24) + 5)
        #expect(savedCount(saved["step_count"]) == (1 << 24) + 3)
    }

    @Test func float32StepCountsOfOlderCheckpointsStillLoad() throws {
        let optimizer = SGD([Tensor.zeros([2]).requiringGrad()], learningRate: 0.1, momentum: 0.9)
        try optimizer.loadStateDict(["lr": Tensor(0.1), "step_count": Tensor(Float(1234)), "state.0.step": Tensor(Float(1234)),
                                     "state.0.momentum_buffer": Tensor.zeros([2])])
        #expect(optimizer.stepCount == 1234)
        #expect(savedCount(optimizer.stateDict()["state.0.step"]) == 1234)
        for bad in [Tensor([-1], shape: [], dtype: .int64), Tensor(Float(2.5)), Tensor(Float(-1))] {
            #expect(throws: StateDictError.self) { try optimizer.loadStateDict(["lr": Tensor(0.1), "step_count": bad]) }
        }
    }

    @Test func clippingByValue() {
        let p = Tensor.zeros([3]).requiringGrad()
        p.grad = Tensor([-5, 0.5, 7] as [Float])
        clipGradValue([p], clipValue: 1)
        #expect(p.grad?.scalars == [-1, 0.5, 1])
    }
}

@Suite("Schedules")
struct ScheduleTests {
    /// Rates used in each epoch, as PyTorch's loop `record lr; optimizer.step(); schedule.step()`.
    private func rates(_ schedule: LearningRateSchedule, _ epochs: Int) -> [Float] {
        (0..<epochs).map { _ in
            defer { schedule.step() }
            return schedule.optimizer.learningRate
        }
    }

    private func close(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-7 + 1e-5 * abs($1) }
    }

    private func optimizer() -> SGD { SGD([Tensor.zeros([1]).requiringGrad()], learningRate: 0.1) }

    // Expected values from torch 2.15: OneCycleLR(o, max_lr=0.1, total_steps=10, cycle_momentum=False).
    @Test func oneCycle() {
        let expected: [Float] = [0.004, 0.052, 0.1, 0.0950484632, 0.0811745654, 0.0611262022, 0.0388741978, 0.0188258346,
                                 0.0049519368, 4e-07]
        #expect(close(rates(OneCycleLR(optimizer(), maxLearningRate: 0.1, totalSteps: 10), 10), expected))
    }

    // LinearLR(o, start_factor=0.25, total_iters=4).
    @Test func linearWarmup() {
        let expected: [Float] = [0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1]
        #expect(close(rates(LinearLR(optimizer(), startFactor: 0.25, totalIterations: 4), 6), expected))
    }

    // ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1), rate read after each step(metric).
    @Test func reduceOnPlateau() {
        let o = optimizer()
        let schedule = ReduceLROnPlateau(o, factor: 0.5, patience: 2, cooldown: 1)
        let metrics: [Float] = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85]
        let got = metrics.map { m -> Float in
            schedule.step(metric: m)
            return o.learningRate
        }
        #expect(close(got, [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025]))
    }

    @Test func restoreJumpsToAnEpoch() {
        let o = optimizer()
        let schedule = StepLR(o, stepSize: 2, gamma: 0.5)
        schedule.restore(epoch: 5)
        #expect(o.learningRate == 0.025 && schedule.epoch == 5)
    }
}
