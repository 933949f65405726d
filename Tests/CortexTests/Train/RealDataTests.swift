// Learning on real data, with fixed seeds: the breast-cancer table (python3-sklearn) under 5-fold
// stratified cross-validation, and the Fashion-MNIST subset bundled for the demo.
import Foundation
import Testing
import Cortex
@testable import CortexModels

private let subsetDirectory = Fixtures.fashionSubset

@Suite("Real data")
struct RealDataTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: BreastCancer.defaultURL.path)))
    func breastCancerCrossValidation() throws {
        let table = try BreastCancer.load()
        let labels = try #require(table.target).integers
        let data = TensorDataset(inputs: table.features, targets: try #require(table.target))
        let folds = stratifiedKFold(labels: labels, k: 5, seed: 0)
        let summary = try crossValidate(folds: 5) { i in
            // Scaling is fitted on the training fold only.
            let train = data.subset(folds[i].train), test = data.subset(folds[i].test)
            let scaler = Standardizer(fitting: train.inputs)
            let model = MLP(inputSize: 30, hiddenSizes: [32], outputSize: 2, seed: UInt64(i))
            let trainer = Trainer(model, Adam(model.parameters(), learningRate: 1e-3), loss: .crossEntropy)
            try trainer.fit(TensorDataset(inputs: scaler(train.inputs), targets: train.targets), epochs: 20, batchSize: 32, seed: UInt64(i))
            let evaluation = trainer.evaluate(TensorDataset(inputs: scaler(test.inputs), targets: test.targets))
            return ["accuracy": evaluation.metric]
        }
        let accuracy = try #require(summary["accuracy"])
        #expect(accuracy.mean >= 0.95, "mean accuracy \(accuracy.mean) over folds \(accuracy.values)")
    }

    @Test func bundledFashionMNISTSubsetTrainsAnMLP() throws {
        let train = try IDXDataset.load(images: subsetDirectory.appendingPathComponent("train-images-idx3-ubyte.gz"),
                                        labels: subsetDirectory.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        let test = try IDXDataset.load(images: subsetDirectory.appendingPathComponent("test-images-idx3-ubyte.gz"),
                                       labels: subsetDirectory.appendingPathComponent("test-labels-idx1-ubyte.gz"))
        #expect(train.count == 3000 && test.count == 1000)
        #expect(Set(test.labels.integers).count == 10)
        let model = MLP(inputSize: 784, hiddenSizes: [64], outputSize: 10, seed: 1)
        let trainer = Trainer(model, Adam(model.parameters(), learningRate: 2e-3), loss: .crossEntropy)
        let history = try trainer.fit(train, epochs: 3, batchSize: 64, seed: 1)
        #expect(history.epochs.last!.trainLoss < history.epochs.first!.trainLoss)
        let accuracy = trainer.evaluate(test).metric
        #expect(accuracy > 0.75, "test accuracy \(accuracy)")
    }
}
