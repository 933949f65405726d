// What unsupervised pretraining buys when labels are few, measured as the generative-models issue asks:
// - a deep belief network, pretrained greedily on all 60,000 images without labels and fine-tuned on 1,000 or on
//   60,000 labelled ones, against the same MLP from random initialisation with the same fine-tuning;
// - a denoising autoencoder pretrained on all images, its encoder's codes probed linearly with 600 labels (1%),
//   against the codes of the same encoder untrained, and against the encoder and head trained end to end on the
//   600 labels alone.
// Test accuracy, the mean (and spread) of three seeds, reported as measured, whichever wins.
import Cortex
import CortexModels
import Foundation

extension GenerativeBench {
    /// The first `count` training examples of a seeded shuffle (the labelled subset of a few-label run).
    func labelledSubset(_ train: IDXDataset, count: Int, seed: UInt64) -> TensorDataset {
        let n = train.images.shape[0]
        var generator = RandomGenerator(seed: seed)
        let order = Array((0..<n).shuffled(using: &generator).prefix(count))
        let index = Tensor(order)
        return TensorDataset(inputs: train.images.indexSelect(0, index), targets: train.labels.indexSelect(0, index))
    }

    func testAccuracy(_ model: any Layer, _ test: IDXDataset) throws -> Double {
        model.eval()
        let predicted = noGrad { inBatches(test.images) { model($0).argmax(dim: 1) } }.integers
        return try accuracy(yTrue: test.labels.integers, yPred: predicted)
    }

    /// Fine-tunes `model` on `data` with Adam (lr 1e-3, batch 64) for enough epochs to see ~15,000 examples
    /// (at least 5), and returns its test accuracy.
    func fineTune(_ model: any Layer, _ data: TensorDataset, _ test: IDXDataset, seed: UInt64) throws -> Double {
        let epochs = max(5, 15_000 / data.count)
        try Trainer(model, Adam(model.parameters(), learningRate: 1e-3), loss: .crossEntropy).fit(data, epochs: epochs, batchSize: 64, seed: seed)
        return try testAccuracy(model, test)
    }

    /// DBN 784-512-256 (CD-1, SGD lr 0.05 momentum 0.5, batch 64, `pretrainEpochs` per layer) fine-tuned, against
    /// the same sigmoid MLP from random initialisation, on 1,000 and on 60,000 labels.
    func beliefNetworkComparison(train: IDXDataset, test: IDXDataset, seeds: [UInt64], pretrainEpochs: Int) throws {
        var results: [String: [Double]] = [:]
        let unlabelled = TensorDataset(inputs: train.images.flattened(from: 1), targets: train.labels)
        for seed in seeds {
            let dbn = DeepBeliefNetwork(sizes: [784, 512, 256], seed: seed)
            for (i, machine) in dbn.machines.enumerated() {
                let layerData = dbn.trainingData(for: i, from: unlabelled)
                try Trainer(machine, step: ContrastiveDivergenceStep(machine, SGD(machine.parameters(), learningRate: 0.05, momentum: 0.5)))
                    .fit(layerData, epochs: pretrainEpochs, batchSize: 64, seed: seed)
                print(String(format: "dbn seed %d: layer %d pretrained, reconstruction error %.2f", seed, i + 1,
                             machine.reconstructionError(layerData.inputs.sliced(0, start: 0, end: 10_000))))
            }
            for labels in [1000, 60_000] {
                let data = labels == 60_000 ? TensorDataset(inputs: train.images, targets: train.labels) : labelledSubset(train, count: labels, seed: seed)
                let pretrained = try fineTune(dbn.unrolled(outputs: 10, seed: seed), data, test, seed: seed)
                // The same architecture from scratch: Linear layers with PyTorch's default initialisation, sigmoids, a head.
                let g = RandomGenerator(seed: seed &+ 99)
                let scratch = Sequential { Flatten(); Linear(784, 512, generator: g); Sigmoid(); Linear(512, 256, generator: g); Sigmoid()
                                           Linear(256, 10, generator: g) }
                let random = try fineTune(scratch, data, test, seed: seed)
                results["dbn_\(labels)", default: []].append(pretrained)
                results["mlp_\(labels)", default: []].append(random)
                print(String(format: "dbn seed %d, %d labels: pretrained DBN %.4f, MLP from random initialisation %.4f", seed, labels, pretrained, random))
            }
        }
        for key in ["dbn_1000", "mlp_1000", "dbn_60000", "mlp_60000"] { printMean(key, results[key]!) }
    }

    /// Denoising autoencoder pretraining (masking noise 0.5, conv encoder to 64 codes, `pretrainEpochs` on all images),
    /// then a linear probe on 600 labels, against untrained codes and against end-to-end training on the 600.
    func selfSupervisedComparison(train: IDXDataset, test: IDXDataset, seeds: [UInt64], pretrainEpochs: Int) throws {
        var results: [String: [Double]] = [:]
        for seed in seeds {
            let pretrained = ConvAutoencoder(inputShape: [1, 28, 28], channels: (32, 64), codeSize: 64, seed: seed)
            try Trainer(pretrained, step: AutoencoderStep(pretrained, Adam(pretrained.parameters(), learningRate: 1e-3), loss: .binaryCrossEntropy))
                .fit(TensorDataset(inputs: train.images, targets: train.images), epochs: pretrainEpochs, batchSize: 128, seed: seed,
                     transform: MaskingNoise(probability: 0.5, seed: seed &+ 5))
            let untrained = ConvAutoencoder(inputShape: [1, 28, 28], channels: (32, 64), codeSize: 64, seed: seed)
            let labelled = labelledSubset(train, count: 600, seed: seed)
            for (name, encoder) in [("ssl_probe", pretrained), ("random_probe", untrained)] {
                results[name, default: []].append(try linearProbeAccuracy(encoder, labelled: labelled, test: TensorDataset(inputs: test.images, targets: test.labels),
                                                                          seed: seed))
            }
            // The same encoder and a linear head, trained end to end on the 600 labels alone.
            let scratch = Sequential([ConvAutoencoder(inputShape: [1, 28, 28], channels: (32, 64), codeSize: 64, seed: seed).encoder,
                                      Linear(64, 10, generator: RandomGenerator(seed: seed))] as [any Layer])
            results["scratch", default: []].append(try fineTune(scratch, labelled, test, seed: seed))
            print(String(format: "ssl seed %d, 600 labels: probe on pretrained codes %.4f, on untrained codes %.4f, trained from scratch %.4f",
                         seed, results["ssl_probe"]!.last!, results["random_probe"]!.last!, results["scratch"]!.last!))
        }
        for key in ["ssl_probe", "random_probe", "scratch"] { printMean(key, results[key]!) }
    }

    func printMean(_ name: String, _ values: [Double]) {
        let mean = values.reduce(0, +) / Double(values.count)
        let spread = values.count > 1 ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
        print(String(format: "RESULT %@_accuracy %.4f (±%.4f over %d seeds: %@)", name, mean, spread, values.count,
                     values.map { String(format: "%.4f", $0) }.joined(separator: " ")))
    }
}
