// The README's first example, kept compiling and running: the hand-written loop and the Trainer on
// the same model (on 128 images of the bundled subset, so it runs in seconds).
import Foundation
import Testing
import Cortex
import CortexModels

@Suite("README example")
struct ReadmeExampleTests {
    @Test func handWrittenLoopAndTrainerRun() throws {
        let directory = Fixtures.fashionSubset
        let all = try IDXDataset.load(images: directory.appendingPathComponent("train-images-idx3-ubyte.gz"),
                                      labels: directory.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        let train = TensorDataset(inputs: all.images, targets: all.labels).subset(Array(0..<128))
        let test = TensorDataset(inputs: all.images, targets: all.labels).subset(Array(128..<192))

        // As in the README:
        let model = Sequential {
            Conv2d(1, 32, kernelSize: 3, padding: 1); ReLU(); MaxPool2d(2)
            Conv2d(32, 64, kernelSize: 3, padding: 1); ReLU(); MaxPool2d(2)
            Flatten(); Linear(64 * 7 * 7, 128); ReLU(); Linear(128, 10)
        }
        let optimizer = Adam(model.parameters(), learningRate: 1e-3)
        var losses: [Float] = []
        for (images, labels) in DataLoader(train, batchSize: 64, shuffle: true, seed: 0) {
            let loss = crossEntropy(model(images), labels)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        }
        let trainer = Trainer(model, Adam(model.parameters()), loss: .crossEntropy)
        let history = try trainer.fit(train, validation: test, epochs: 1, callbacks: [EarlyStopping(patience: 3)])

        #expect(losses.count == 2 && losses.allSatisfy(\.isFinite))
        #expect(history.epochs.count == 1 && history.epochs[0].validationLoss != nil)
    }
}
