// Deep belief networks: greedy training through Trainer (contrastive divergence as a training step, resumed
// exactly from a checkpoint), the unrolled MLP computing the machines' own features, and sampling.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("Deep belief network")
struct DeepBeliefNetworkTests {
    /// 96 binary 4×4 "images" of two kinds (a bar on the left or on the right), 5% of pixels flipped.
    static func bars() -> TensorDataset {
        var random = RandomGenerator(seed: 11)
        let rows = (0..<96).map { i -> [Float] in
            (0..<16).map { p -> Float in
                let on: Float = (i % 2 == 0) == (p % 4 < 2) ? 1 : 0
                return Float.random(in: 0..<1, using: &random) < 0.05 ? 1 - on : on
            }
        }
        return TensorDataset(inputs: Tensor(rows.flatMap { $0 }, shape: [96, 1, 4, 4]), targets: Tensor((0..<96).map { $0 % 2 }))
    }

    @Test(arguments: [0, 8])
    func aResumedContrastiveDivergenceRunEqualsAnUninterruptedOne(persistentChains: Int) throws {
        let data = DeepBeliefNetwork(sizes: [16, 6]).trainingData(for: 0, from: Self.bars())
        func run(epochs: Int, resumeFrom: URL?, saveTo: URL?) throws -> (weights: [Float], history: [Double]) {
            let rbm = RBM(visible: 16, hidden: 6, persistentChains: persistentChains, seed: 4)
            let trainer = Trainer(rbm, step: ContrastiveDivergenceStep(rbm, SGD(rbm.parameters(), learningRate: 0.1, momentum: 0.5), k: 2))
            if let resumeFrom { try trainer.resume(from: resumeFrom) }
            try trainer.fit(data, validation: data, epochs: epochs, batchSize: 16, seed: 3,
                            callbacks: saveTo.map { [Checkpointer(directory: $0)] } ?? [])
            return (rbm.stateDict().sorted { $0.key < $1.key }.flatMap { $0.value.scalars }, trainer.history.epochs.flatMap { [$0.trainLoss, $0.validationLoss ?? .nan, $0.values?["free_energy_gap"] ?? .nan] })
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-rbm-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let straight = try run(epochs: 6, resumeFrom: nil, saveTo: nil)
        _ = try run(epochs: 3, resumeFrom: nil, saveTo: directory)
        let resumed = try run(epochs: 6, resumeFrom: directory.appendingPathComponent("checkpoint.safetensors"), saveTo: nil)
        #expect(resumed.weights == straight.weights)
        #expect(resumed.history == straight.history)
        #expect(!straight.history.contains { $0.isNaN })
        // And it learned: the last epoch's validation reconstruction error well under the first's (three values per epoch).
        #expect(straight.history[16] < straight.history[1] * 0.8, "\(straight.history)")
    }

    @Test func greedyTrainingUnrollsIntoAnMLPOfTheSameFeatures() throws {
        let data = Self.bars()
        let dbn = DeepBeliefNetwork(sizes: [16, 8, 4], seed: 2)
        for (i, machine) in dbn.machines.enumerated() {
            let layerData = dbn.trainingData(for: i, from: data)
            #expect(layerData.inputs.shape == [96, dbn.sizes[i]])
            if i > 0 { #expect(layerData.inputs.allClose(noGrad { dbn.machines[i - 1](dbn.trainingData(for: i - 1, from: data).inputs) })) }
            let before = machine.reconstructionError(layerData.inputs)
            try Trainer(machine, step: ContrastiveDivergenceStep(machine, SGD(machine.parameters(), learningRate: 0.2, momentum: 0.5)))
                .fit(layerData, epochs: 30, batchSize: 16, seed: UInt64(i))
            #expect(machine.reconstructionError(layerData.inputs) < before, "machine \(i)")
        }
        let mlp = dbn.unrolled(outputs: 2, seed: 5)
        // Everything but the head computes the network's top features.
        let features = noGrad { Sequential(Array(mlp.layers.dropLast())).callAsFunction(data.inputs) }
        #expect(features.allClose(noGrad { dbn(data.inputs) }, rtol: 1e-5, atol: 1e-6))
        #expect(noGrad { mlp(data.inputs) }.shape == [96, 2])

        let samples = dbn.sample(count: 10, gibbsSteps: 50, generator: RandomGenerator(seed: 6))
        #expect(samples.shape == [10, 16])
        #expect(samples.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Samples look like bars: each closer to one of the two clean patterns than to the other's complement of noise.
        let clean: [[Float]] = [(0..<16).map { $0 % 4 < 2 ? 1 : 0 }, (0..<16).map { $0 % 4 < 2 ? 0 : 1 }]
        let barLike = samples.scalars.chunked(16).filter { s in clean.contains { p in zip(s, p).map { abs($0 - $1) }.reduce(0, +) < 4 } }.count
        #expect(barLike >= 7, "\(barLike) of 10 samples within 4 of a bar pattern")
    }
}
