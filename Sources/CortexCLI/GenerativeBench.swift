// `cortex bench generative`: the generative models on full Fashion-MNIST with the settings that
// Benchmarks/generative_torch.py gives PyTorch's identical models — the dense autoencoder's test MSE, the
// VAE's test negative ELBO, and the DCGAN's Fréchet distance and class coverage in the feature space of a
// Fashion-MNIST classifier of Cortex's own — and the same two measures of any other generator's samples
// (--score-samples, PyTorch's), so both frameworks' images are judged by one yardstick.
import ArgumentParser
import Cortex
import CortexRuns
import CortexApps
import CortexModels
import Foundation

struct GenerativeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generative",
        abstract: "AE test MSE, VAE test negative ELBO, DCGAN Fréchet distance and class coverage on full Fashion-MNIST (Benchmarks/generative.sh).")

    @Option(help: "Directory of Fashion-MNIST's IDX files.")
    var dataDir = IDXDataset.fashionMNISTDirectory.path

    @Option(help: "Folder for the feature classifier's weights (trained once, then reused) and the samples.")
    var work = "bench-generative"

    @Option(parsing: .upToNextOption, help: "Epochs of the feature classifier, the autoencoder, the VAE and the GAN.")
    var epochs: [Int] = [3, 10, 10, 5]

    @Option(help: "What to run, comma-separated: ae, vae, gan (against PyTorch), dbn (pretrained DBN against a randomly initialised MLP, 1,000 and 60,000 labels), ssl (denoising-autoencoder pretraining, linear probe on 600 labels); none only scores --score-samples.")
    var models = "ae,vae,gan"

    @Option(parsing: .unconditional, help: "Seeds of the dbn and ssl comparisons (their means are reported).")
    var seeds = 3

    @Option(parsing: .unconditional, help: "Pretraining epochs of the dbn (per layer) and ssl comparisons.")
    var pretrainEpochs = 5

    @Option(help: "A .npy of generated images in [0, 1], (N, 1, 28, 28) or (N, 784), to score like the GAN's (repeatable).")
    var scoreSamples: [String] = []

    @Option(parsing: .unconditional, help: "Random seed of the models and their data order.")
    var seed: UInt64 = 0

    func validate() throws {
        guard epochs.count == 4, epochs.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--epochs takes four positive counts: classifier, ae, vae, gan") }
        let known: Set<String> = ["ae", "vae", "gan", "dbn", "ssl", "none"]
        guard models.split(separator: ",").allSatisfy({ known.contains(String($0)) }) else { throw ValidationError("--models: ae, vae, gan, dbn, ssl or none") }
        guard (1...10).contains(seeds) && (1...100).contains(pretrainEpochs) else { throw ValidationError("--seeds must be 1…10 and --pretrain-epochs 1…100") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: dataDir)
        let train = try IDXDataset.fashionMNIST(.train, directory: directory), test = try IDXDataset.fashionMNIST(.test, directory: directory)
        let folder = URL(fileURLWithPath: work)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        print("cortex \(cortexVersion), \(computeSummary), OpenBLAS kernel \(blasKernelName); Fashion-MNIST \(train.images.shape[0]) + \(test.images.shape[0])")
        let wanted = Set(models.split(separator: ",").map(String.init))
        let seedList = (0..<seeds).map { seed &+ UInt64($0) }
        if wanted.contains("dbn") { try beliefNetworkComparison(train: train, test: test, seeds: seedList, pretrainEpochs: pretrainEpochs) }
        if wanted.contains("ssl") { try selfSupervisedComparison(train: train, test: test, seeds: seedList, pretrainEpochs: pretrainEpochs) }
        guard !wanted.isDisjoint(with: ["ae", "vae", "gan"]) || !scoreSamples.isEmpty else { return }
        let classifier = try featureClassifier(train: train, test: test, folder: folder)
        let realFeatures = features(classifier, test.images)

        if wanted.contains("ae") {
            let (mse, seconds) = try timed {
                let ae = Autoencoder(inputShape: [1, 28, 28], hiddenSizes: [512, 128], codeSize: 32, seed: seed)
                try Trainer(ae, step: AutoencoderStep(ae, Adam(ae.parameters(), learningRate: 1e-3)))
                    .fit(TensorDataset(inputs: train.images, targets: train.images), epochs: epochs[1], batchSize: 128, seed: seed, callbacks: [ProgressBar()])
                ae.eval()
                return ae.reconstructionMSE(test.images)
            }
            print(String(format: "RESULT ae_test_mse %.6f (%d epochs, %.0f s)", mse, epochs[1], seconds))
        }
        if wanted.contains("vae") {
            let (figures, seconds) = try timed {
                let vae = VariationalAutoencoder(inputShape: [1, 28, 28], hiddenSizes: [512, 256], latentSize: 16, seed: seed)
                try Trainer(vae, step: VAEStep(vae, Adam(vae.parameters(), learningRate: 1e-3)))
                    .fit(TensorDataset(inputs: train.images, targets: train.labels), epochs: epochs[2], batchSize: 128, seed: seed, callbacks: [ProgressBar()])
                vae.eval()
                return vae.evaluate(test.images, generator: RandomGenerator(seed: 1))
            }
            print(String(format: "RESULT vae_test_negative_elbo %.4f (reconstruction %.4f, kl %.4f nats; %d epochs, %.0f s)",
                         figures.negativeELBO, figures.reconstruction, figures.kl, epochs[2], seconds))
        }
        if wanted.contains("gan") {
            let (samples, seconds) = try timed {
                let gan = GAN(imageShape: [1, 28, 28], latentSize: 64, width: 64, seed: seed)
                try Trainer(gan, step: GANStep(gan))
                    .fit(TensorDataset(inputs: train.images, targets: train.labels), epochs: epochs[3], batchSize: 64, seed: seed, callbacks: [ProgressBar()])
                return Tensor.cat(stride(from: 0, to: 10_000, by: 1000).map { i in
                    gan.sample(count: 1000, generator: RandomGenerator(seed: seed &+ UInt64(i)))
                }, dim: 0)
            }
            try NPY.write(samples, to: folder.appendingPathComponent("cortex-gan-samples.npy"))
            try score(samples, name: "gan", classifier: classifier, realFeatures: realFeatures, detail: String(format: "%d epochs, %.0f s", epochs[3], seconds))
        }
        for file in scoreSamples {
            let samples = try NPY.read(contentsOf: URL(fileURLWithPath: file))
            guard samples.count % 784 == 0, samples.count > 0 else { throw PlainError("\(file): \(samples.shape) is not a stack of 28×28 images") }
            try score(samples.reshaped([-1, 1, 28, 28]), name: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent,
                      classifier: classifier, realFeatures: realFeatures, detail: "from \(file)")
        }
    }

    /// The classifier from `folder`, or trained there first; prints its test accuracy.
    func featureClassifier(train: IDXDataset, test: IDXDataset, folder: URL) throws -> FeatureClassifier {
        let classifier = FeatureClassifier(seed: 0)
        let weights = folder.appendingPathComponent("feature-classifier.safetensors")
        if FileManager.default.fileExists(atPath: weights.path) {
            try classifier.loadStateDict(try loadSafetensors(weights))
        } else {
            try Trainer(classifier, Adam(classifier.parameters(), learningRate: 1e-3), loss: .crossEntropy)
                .fit(TensorDataset(inputs: train.images, targets: train.labels), epochs: epochs[0], batchSize: 128, seed: 0, callbacks: [ProgressBar()])
            try saveSafetensors(classifier.stateDict(), to: weights)
        }
        classifier.eval()
        let predicted = noGrad { inBatches(test.images) { classifier($0).argmax(dim: 1) } }.integers
        print(String(format: "feature classifier: test accuracy %.4f", try accuracy(yTrue: test.labels.integers, yPred: predicted)))
        return classifier
    }

    func features(_ classifier: FeatureClassifier, _ images: Tensor) -> [[Double]] {
        let f = noGrad { inBatches(images) { classifier.features($0) } }
        let (n, d) = (f.shape[0], f.shape[1]), values = f.scalars
        return (0..<n).map { i in (0..<d).map { Double(values[i * d + $0]) } }
    }

    /// Fréchet distance to the test images in the classifier's features, and the share of each class among the
    /// first 1000 samples as the classifier labels them.
    func score(_ samples: Tensor, name: String, classifier: FeatureClassifier, realFeatures: [[Double]], detail: String) throws {
        let distance = try frechetDistance(features(classifier, samples), realFeatures)
        let first = samples.sliced(0, start: 0, end: min(1000, samples.shape[0]))
        let labels = noGrad { classifier(first).argmax(dim: 1) }.integers
        let shares = (0..<10).map { c in Double(labels.filter { $0 == c }.count) / Double(labels.count) }
        print(String(format: "RESULT %@_fid %.3f (%d samples against 10000 test images; %@)", name, distance, samples.shape[0], detail))
        print(String(format: "RESULT %@_coverage_min %.3f (class shares among %d samples: %@)", name, shares.min()!, labels.count,
                     shares.map { String(format: "%.3f", $0) }.joined(separator: " ")))
    }
}
