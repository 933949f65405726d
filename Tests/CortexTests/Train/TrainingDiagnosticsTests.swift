// Training diagnostics: runs built to fail in known ways — a deep sigmoid stack (vanishing gradients), a learning
// rate far too high (exploding), a wide network on 200 examples (overfitting), dead ReLUs, a NaN from a log — each
// get the right verdict, and a healthy run gets none.
import Foundation
import Testing
import Cortex

@Suite("Training diagnostics")
struct TrainingDiagnosticsTests {
    /// Rows of 20 standard-normal features labelled by the sign of a fixed linear rule (two balanced classes),
    /// with `noise` of the labels flipped.
    static func table(_ count: Int, seed: UInt64, noise: Float = 0) -> TensorDataset {
        let g = RandomGenerator(seed: seed)
        let x = Tensor.randn([count, 20], generator: g)
        let rule = Tensor((0..<20).map { Float($0 % 3) - 1 }, shape: [20, 1])
        var labels = (x.matmul(rule).reshaped([count]).gt(0)).to(.int64).integers
        for i in labels.indices where Float(g.nextUniform()) < noise { labels[i] = 1 - labels[i] }
        return TensorDataset(inputs: x, targets: Tensor(labels))
    }

    static func mlp(_ widths: [Int], activation: () -> any Layer = { ReLU() }, seed: UInt64) -> Sequential {
        let g = RandomGenerator(seed: seed)
        var layers: [any Layer] = []
        for i in 0..<(widths.count - 1) {
            layers.append(Linear(widths[i], widths[i + 1], generator: g))
            if i < widths.count - 2 { layers.append(activation()) }
        }
        return Sequential(layers)
    }

    /// Trains and returns the verdicts (and the trainer), whether or not `fit` threw.
    static func diagnose(_ model: Sequential, _ optimizer: Optimizer, train: TensorDataset, validation: TensorDataset,
                         epochs: Int, batchSize: Int = 32) -> (kinds: Set<TrainingVerdict.Kind>, diagnostics: TrainingDiagnostics, trainer: Trainer) {
        let diagnostics = TrainingDiagnostics(probe: train.inputs.sliced(0, start: 0, end: min(256, train.count)), chanceLoss: log(2))
        let trainer = Trainer(model, optimizer, loss: .crossEntropy)
        _ = try? trainer.fit(train, validation: validation, epochs: epochs, batchSize: batchSize, seed: 1, callbacks: [diagnostics])
        for v in diagnostics.record.verdicts { print("  \(v.kind.rawValue): \(v.message)") }
        return (Set(diagnostics.record.verdicts.map(\.kind)), diagnostics, trainer)
    }

    @Test func aHealthyRunIsNotFlagged() {
        let model = Self.mlp([20, 32, 2], seed: 1)
        let (kinds, diagnostics, _) = Self.diagnose(model, Adam(model.parameters(), learningRate: 1e-2),
                                                    train: Self.table(2000, seed: 1), validation: Self.table(500, seed: 2), epochs: 4)
        #expect(diagnostics.record.verdicts.allSatisfy { !$0.isProblem }, "healthy run flagged: \(kinds)")
        #expect(kinds.contains(.healthy))
        // Collected: ten gradient samples an epoch for both weight matrices, and the ReLU's activity before and after each epoch.
        #expect(diagnostics.record.layers == ["0.weight", "2.weight"])
        #expect(diagnostics.record.gradients.count >= 4 * 10)
        #expect(diagnostics.record.activity.count == 5 && diagnostics.record.activity.last!.layers.map(\.name) == ["1"])
        let ratios = diagnostics.record.gradients.flatMap(\.updateRatios)
        #expect(ratios.allSatisfy { $0 > 0 && $0 < 1 }, "update ratios \(ratios.prefix(4))")
    }

    @Test func aDeepSigmoidStackHasVanishingGradients() {
        let model = Self.mlp([20] + Array(repeating: 32, count: 10) + [2], activation: { Sigmoid() }, seed: 2)
        let (kinds, _, _) = Self.diagnose(model, SGD(model.parameters(), learningRate: 0.1),
                                          train: Self.table(1000, seed: 3), validation: Self.table(300, seed: 4), epochs: 3)
        #expect(kinds.contains(.vanishingGradients), "verdicts \(kinds)")
        #expect(!kinds.contains(.healthy))
    }

    @Test func aLearningRateFarTooHighExplodes() {
        let model = Self.mlp([20, 64, 64, 2], seed: 3)
        let (kinds, _, _) = Self.diagnose(model, SGD(model.parameters(), learningRate: 50),
                                          train: Self.table(1000, seed: 5), validation: Self.table(300, seed: 6), epochs: 3)
        #expect(kinds.contains(.explodingGradients), "verdicts \(kinds)")
        #expect(!kinds.contains(.healthy))
    }

    @Test func aWideNetworkOnTwoHundredExamplesOverfits() {
        let model = Self.mlp([20, 256, 256, 2], seed: 4)
        let (kinds, diagnostics, _) = Self.diagnose(model, Adam(model.parameters(), learningRate: 1e-3),
                                                    train: Self.table(200, seed: 7, noise: 0.2), validation: Self.table(500, seed: 8, noise: 0.2), epochs: 30)
        #expect(kinds.contains(.overfitting), "verdicts \(kinds)")
        let verdict = diagnostics.record.verdicts.first { $0.kind == .overfitting }
        #expect(verdict?.message.hasPrefix("overfitting from epoch ") == true)
    }

    @Test func deadReLUsAreCounted() {
        // A bias of −100 puts every first-layer unit below zero for every input.
        let model = Self.mlp([20, 16, 2], seed: 5)
        noGrad { (model.layers[0] as! Linear).bias!.fill(-100) }
        let (kinds, diagnostics, _) = Self.diagnose(model, SGD(model.parameters(), learningRate: 0.01),
                                                    train: Self.table(300, seed: 9), validation: Self.table(100, seed: 10), epochs: 2)
        #expect(kinds.contains(.deadUnits), "verdicts \(kinds)")
        #expect(diagnostics.record.activity.last!.layers[0].deadFraction == 1)
    }

    @Test func theFirstNonFiniteOpIsNamed() throws {
        // log of a negative number inside the model: the op is named, its inputs were finite.
        let linear = Linear(3, 3)
        noGrad { linear.weight.assign(Tensor.eye(3)); linear.bias!.fill(0) }
        let model = Sequential { linear; LogOfShifted() }
        let x = Tensor([0.1, 0.2, 0.3, 1, 1, 1] as [Float], shape: [2, 3])
        let origin = try #require(Tracer.firstNonFinite(model, inputs: [x]) { model($0[0]) })
        #expect(origin.op.hasPrefix("log(") && origin.inputsFinite, "\(origin)")
        #expect(Tracer.firstNonFinite(model, inputs: [Tensor.full([2, 3], 100)]) { model($0[0]) } == nil)

        // A weight that is already NaN: the parameter is named, and the fit stops on the first batch.
        let broken = TrainingDiagnosticsTests.mlp([20, 8, 2], seed: 6)
        noGrad { (broken.layers[2] as! Linear).weight.fill(.nan) }
        let (kinds, diagnostics, trainer) = Self.diagnose(broken, SGD(broken.parameters(), learningRate: 0.1),
                                                          train: Self.table(64, seed: 11), validation: Self.table(32, seed: 12), epochs: 1)
        #expect(trainer.stoppedOnNonFiniteLoss)
        #expect(trainer.nonFiniteOrigin == NonFiniteOrigin(op: "2.weight", layers: ["2"], inputsFinite: false))
        #expect(kinds == [.nonFiniteLoss])
        #expect(diagnostics.record.verdicts[0].message.contains("2.weight in 2 was already NaN or infinite"))
        #expect(diagnostics.record.nonFinite?.op == "2.weight")
    }

    @Test func curveVerdictsNeedTwoEpochsAndNameTheEpoch() {
        func history(_ train: [Double], _ validation: [Double]) -> History {
            var h = History(metricName: "accuracy")
            for (i, (t, v)) in zip(train, validation).enumerated() {
                h.epochs.append(EpochRecord(epoch: i + 1, trainLoss: t, trainMetric: 0, validationLoss: v, validationMetric: nil,
                                            learningRate: 0.1, seconds: 1, values: [:]))
            }
            return h
        }
        let record = DiagnosticsRecord()
        #expect(TrainingVerdict.assess(history: history([1], [1]), diagnostics: record).map(\.kind) == [.healthy])
        let overfit = TrainingVerdict.assess(history: history([1, 0.5, 0.3, 0.2], [1, 0.6, 0.7, 0.8]), diagnostics: record)
        #expect(overfit.first?.kind == .overfitting && overfit.first!.message.hasPrefix("overfitting from epoch 3:"))
        let improving = TrainingVerdict.assess(history: history([1, 0.8], [1, 0.7]), diagnostics: record, chanceLoss: 2.3)
        #expect(improving.map(\.kind) == [.stillImproving, .healthy])
        let underfit = TrainingVerdict.assess(history: history([0.69, 0.69], [0.69, 0.69]), diagnostics: record, chanceLoss: log(2))
        #expect(underfit.map(\.kind) == [.underfitting])
    }
}

/// log(x − 1): NaN for inputs below 1.
private final class LogOfShifted: Module, Layer {
    func callAsFunction(_ input: Tensor) -> Tensor { (input - 1).log() }
}
