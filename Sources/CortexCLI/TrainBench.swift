// `cortex bench train`: training throughput of the MLP and the CNN on the bundled Fashion-MNIST
// subset, to compare with Benchmarks/train_torch.py (same models, batch, optimiser) in one session.
import ArgumentParser
import Cortex
import CortexRuns
import CortexModels
import Foundation

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Training samples/s of an MLP and a CNN on the bundled Fashion-MNIST subset.")

    @Option(help: "Epochs per model; the best epoch counts.")
    var epochs = 3

    func validate() throws {
        guard (1...100).contains(epochs) else { throw ValidationError("--epochs must be between 1 and 100") }
    }

    func run() throws {
        let data = try bundledFashionSubset(.train)
        print("cortex \(cortexVersion), \(computeSummary), \(data.count) images, batch 64")
        let models: [(String, () -> any Layer)] = [
            ("mlp", { MLP(inputSize: 784, hiddenSizes: [256, 128], outputSize: 10) }),
            ("cnn", { SmallConvNet() }),
        ]
        for (name, make) in models {
            let model = make()
            let optimizer = Adam(model.parameters(), learningRate: 1e-3)
            var best = 0.0
            for epoch in 0..<epochs {
                let start = Date()
                for (images, labels) in DataLoader(data, batchSize: 64, shuffle: true, seed: UInt64(epoch)) {
                    let loss = crossEntropy(model(images), labels)
                    optimizer.zeroGrad()
                    loss.backward()
                    optimizer.step()
                }
                best = max(best, Double(data.count) / Date().timeIntervalSince(start))
            }
            print(String(format: "%@: %8.0f samples/s (best of %d epochs)", name, best, epochs))
        }
    }
}
