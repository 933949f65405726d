// Model families whose step is not "loss, backward, step" train through the same Trainer: a VAE (a
// two-term loss and a sampling generator) and a GAN (two optimisers, alternating) on a few hundred
// Fashion-MNIST images, with callbacks, progress and checkpoints; CortexModels' DCGAN killed with SIGKILL
// resumes to the weights of an uninterrupted run.
import Foundation
import Testing
import Cortex
import CortexModels

/// The first `count` training images of the subset bundled with `cortex`, flattened to 784 values.
private func fashionImages(_ count: Int) throws -> TensorDataset {
    let set = try IDXDataset.load(images: Fixtures.fashionSubset.appendingPathComponent("train-images-idx3-ubyte.gz"),
                                  labels: Fixtures.fashionSubset.appendingPathComponent("train-labels-idx1-ubyte.gz"))
    let images = set.images.sliced(0, start: 0, end: count).reshaped([count, 784])
    return TensorDataset(inputs: images, targets: set.labels.sliced(0, start: 0, end: count))
}

/// A variational autoencoder: 784 → 128 → (μ, log σ²) of a 16-dimensional code → 128 → 784.
private final class VAE: Module {
    let encoder: Sequential, mu: Linear, logVariance: Linear, decoder: Sequential
    /// The reparameterisation noise: a module generator, so checkpoints keep it.
    let noise: RandomGenerator

    init(seed: UInt64) {
        let g = RandomGenerator(seed: seed)
        encoder = Sequential { Linear(784, 128, generator: g); ReLU() }
        mu = Linear(128, 16, generator: g)
        logVariance = Linear(128, 16, generator: g)
        decoder = Sequential { Linear(16, 128, generator: g); ReLU(); Linear(128, 784, generator: g); Sigmoid() }
        noise = RandomGenerator(seed: seed &+ 1)
    }

    /// Reconstruction (binary cross-entropy summed over pixels) and KL divergence, each a mean per image.
    func losses(_ x: Tensor) -> (reconstruction: Tensor, kl: Tensor) {
        let h = encoder(x), m = mu(h), logVar = logVariance(h)
        let z = training ? m + (logVar * 0.5).exp() * Tensor.randn(m.shape, generator: noise) : m
        let n = Float(x.shape[0])
        let reconstruction = binaryCrossEntropy(decoder(z), x, reduction: .sum) / n
        let kl = ((m * m + logVar.exp() - logVar - 1).sum() * 0.5) / n
        return (reconstruction, kl)
    }
}

private final class VAEStep: TrainingStep {
    let vae: VAE, optimizer: Adam
    init(_ vae: VAE) { (self.vae, optimizer) = (vae, Adam(vae.parameters(), learningRate: 2e-3)) }
    var optimizers: [String: Optimizer] { ["optimizer": optimizer] }
    var metric: (name: String, lowerIsBetter: Bool)? { ("reconstruction", true) }

    func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let (reconstruction, kl) = vae.losses(batch.input)
        let loss = reconstruction + kl
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        return StepOutput(loss: Double(loss.item()), values: ["reconstruction": Double(reconstruction.item()), "kl": Double(kl.item())])
    }

    func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let (reconstruction, kl) = vae.losses(batch.input)
        return StepOutput(loss: Double((reconstruction + kl).item()), values: ["reconstruction": Double(reconstruction.item())])
    }
}

/// A GAN on flattened images: generator 16 → 128 → 784 (sigmoid), discriminator 784 → 128 → 1 (a logit).
final class FlatGAN: Module {
    let generator: Sequential, discriminator: Sequential
    let noise: RandomGenerator

    init(seed: UInt64) {
        let g = RandomGenerator(seed: seed)
        generator = Sequential { Linear(16, 128, generator: g); ReLU(); Linear(128, 784, generator: g); Sigmoid() }
        discriminator = Sequential { Linear(784, 128, generator: g); LeakyReLU(); Linear(128, 1, generator: g) }
        noise = RandomGenerator(seed: seed &+ 1)
    }

    func sample(_ count: Int) -> Tensor { generator(Tensor.randn([count, 16], generator: noise)) }
}

/// One discriminator step on real and generated images, then one generator step.
final class FlatGANStep: TrainingStep {
    let gan: FlatGAN, generatorOptimizer: Adam, discriminatorOptimizer: Adam
    init(_ gan: FlatGAN) {
        self.gan = gan
        generatorOptimizer = Adam(gan.generator.parameters(), learningRate: 1e-3, betas: (0.5, 0.999))
        discriminatorOptimizer = Adam(gan.discriminator.parameters(), learningRate: 1e-3, betas: (0.5, 0.999))
    }
    var optimizers: [String: Optimizer] { ["generator": generatorOptimizer, "discriminator": discriminatorOptimizer] }

    func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let real = batch.input, n = real.shape[0]
        let ones = Tensor.ones([n, 1]), zeros = Tensor.zeros([n, 1])
        let fake = gan.sample(n)
        let dLoss = binaryCrossEntropyWithLogits(gan.discriminator(real), ones)
            + binaryCrossEntropyWithLogits(gan.discriminator(fake.detach()), zeros)
        discriminatorOptimizer.zeroGrad()
        dLoss.backward()
        discriminatorOptimizer.step()
        let gLoss = binaryCrossEntropyWithLogits(gan.discriminator(fake), ones)
        generatorOptimizer.zeroGrad()
        gLoss.backward()
        generatorOptimizer.step()
        return StepOutput(loss: Double(gLoss.item()), values: ["d_loss": Double(dLoss.item())])
    }

    func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let n = batch.input.shape[0]
        return StepOutput(loss: Double(binaryCrossEntropyWithLogits(gan.discriminator(gan.sample(n)), Tensor.ones([n, 1])).item()))
    }
}

/// Trains the GAN for `epochs` with a checkpoint per epoch in `directory`; `killAt` ends the process with
/// SIGKILL after that (epoch, batch), as a crash or an out-of-memory kill would.
func ganRun(directory: URL, epochs: Int, resume: Bool, killAt: (epoch: Int, batch: Int)? = nil) throws -> CortexModels.GAN {
    let gan = CortexModels.GAN(imageShape: [1, 28, 28], latentSize: 16, width: 8, seed: 3)
    let trainer = Trainer(gan, step: CortexModels.GANStep(gan))
    let checkpointer = Checkpointer(directory: directory)
    if resume { try trainer.resume(from: checkpointer.file) }
    var callbacks: [any Callback] = [checkpointer]
    if let killAt { callbacks.append(KillAt(epoch: killAt.epoch, batch: killAt.batch)) }
    let flat = try fashionImages(240)
    let images = TensorDataset(inputs: flat.inputs.reshaped([240, 1, 28, 28]), targets: flat.targets)
    try trainer.fit(images, epochs: epochs, batchSize: 40, seed: 5, callbacks: callbacks)
    return gan
}

private final class KillAt: Callback {
    let epoch: Int, batch: Int
    init(epoch: Int, batch: Int) { (self.epoch, self.batch) = (epoch, batch) }
    func batchDidEnd(_ trainer: Trainer, epoch: Int, batch: Int, batches: Int, loss: Double, samples: Int) {
        if epoch == self.epoch && batch == self.batch { kill(getpid(), SIGKILL) }
    }
}

/// Examples with three named tensors: features, a target, and a per-example weight.
private struct WeightedRegression: Dataset {
    let x: Tensor, y: Tensor, weight: Tensor
    var count: Int { x.shape[0] }
    func example(at index: Int) -> (input: Tensor, target: Tensor) { (x.selected(0, index), y.selected(0, index)) }
    func namedBatch(at indices: [Int]) -> Batch {
        let i = Tensor(indices)
        return Batch(["x": x.indexSelect(0, i), "y": y.indexSelect(0, i), "weight": weight.indexSelect(0, i)])
    }
}

/// Least squares in which each example counts by its weight.
private final class WeightedStep: TrainingStep {
    let model = Linear(1, 1, generator: RandomGenerator(seed: 1))
    lazy var optimizer = SGD(model.parameters(), learningRate: 0.1)
    var optimizers: [String: Optimizer] { ["optimizer": optimizer] }
    func loss(_ batch: Batch) -> Tensor {
        let error = model(batch["x"]).reshaped([-1]) - batch["y"]
        return (error * error * batch["weight"]).sum() / batch["weight"].sum()
    }
    func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let value = loss(batch)
        optimizer.zeroGrad()
        value.backward()
        optimizer.step()
        return StepOutput(loss: Double(value.item()))
    }
    func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput { StepOutput(loss: Double(loss(batch).item())) }
}

@Suite("Training steps")
struct TrainingStepTests {
    @Test func aBatchCarriesWhateverNamedTensorsTheDatasetGives() throws {
        // y = 2x on the examples that count; the others (weight 0) say y = -5 and must not pull the fit.
        let x = Tensor((0..<64).map { Float($0 % 8) / 8 }, shape: [64, 1])
        let counts = Tensor((0..<64).map { $0 % 4 == 0 ? Float(0) : 1 })
        let y = Tensor((0..<64).map { $0 % 4 == 0 ? Float(-5) : 2 * Float($0 % 8) / 8 })
        let step = WeightedStep()
        let trainer = Trainer(step.model, step: step)
        try trainer.fit(WeightedRegression(x: x, y: y, weight: counts), epochs: 150, batchSize: 16, seed: 2)
        #expect(abs(step.model.weight.item() - 2) < 0.05 && abs(step.model.bias!.item()) < 0.05,
                "w \(step.model.weight.item()), b \(step.model.bias!.item())")
        #expect(trainer.history.metricName.isEmpty && trainer.loss == nil)
    }

    @Test func aVAETrainsThroughTheTrainerWithProgressAndCheckpoints() throws {
        let images = try fashionImages(600)
        let train = images.subset(Array(0..<500)), held = images.subset(Array(500..<600))
        let vae = VAE(seed: 1)
        let trainer = Trainer(vae, step: VAEStep(vae))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-vae-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines: [String] = []
        let before = noGrad { vae.eval(); defer { vae.train() }; return vae.losses(held.inputs).reconstruction.item() }
        try trainer.fit(train, validation: held, epochs: 6, batchSize: 50, callbacks: [
            ProgressBar(totalEpochs: 6, interactive: false, output: { lines.append($0) }), Checkpointer(directory: directory),
        ])
        let after = noGrad { vae.eval(); return vae.losses(held.inputs).reconstruction.item() }
        let epochs = trainer.history.epochs
        // Held-out reconstruction (binary cross-entropy per image) falls by more than a third.
        #expect(after < before * 0.65, "held-out reconstruction \(before) -> \(after)")
        #expect(epochs.last!.trainLoss < epochs.first!.trainLoss * 0.8, "\(epochs.map(\.trainLoss))")
        #expect(epochs.last!.values?["kl"].map { $0 > 0 } == true)
        #expect(trainer.history.metricName == "reconstruction" && epochs.last!.validationMetric != nil)
        #expect(lines.joined().contains("epoch 6/6 loss") && lines.joined().contains(" kl "))
        let archive = try SafetensorsArchive(contentsOf: directory.appendingPathComponent("checkpoint.safetensors"))
        #expect(archive.metadata["epoch"] == "6" && archive.metadata["rng.model.noise"] != nil)
    }

    @Test func aGANTrainsItsTwoOptimisersThroughTheTrainer() throws {
        let images = try fashionImages(480)
        let gan = FlatGAN(seed: 2)
        let trainer = Trainer(gan, step: FlatGANStep(gan))
        // How far the generated images' mean image is from the real one (mean squared pixel difference).
        let realMean = images.inputs.mean(dim: 0)
        func gap() -> Float { noGrad { (gan.sample(480).mean(dim: 0) - realMean).pow(2).mean().item() } }
        let before = gap()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-gan-\(UUID()).csv")
        defer { try? FileManager.default.removeItem(at: log) }
        try trainer.fit(images, epochs: 12, batchSize: 40, seed: 1, callbacks: [CSVLogger(file: log)])
        let after = gap()
        let rows = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "epoch,loss,val_loss,lr,seconds,d_loss" && rows.count == 13, "\(rows.first ?? "")")
        #expect(after < before * 0.4, "mean-image gap \(before) -> \(after)")
        let steps = trainer.step.optimizers.mapValues(\.stepCount)
        #expect(steps == ["generator": 144, "discriminator": 144])
        #expect(trainer.history.epochs.last!.values?["d_loss"] != nil)
    }

    @Test func aGANKilledWithSIGKILLResumesToTheUninterruptedWeights() async throws {
        // Named after this test process, which the child knows as its parent.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-gan-kill-\(getpid())")
        try? FileManager.default.removeItem(at: base)
        await #expect(processExitsWith: .signal(SIGKILL)) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-gan-kill-\(getppid())")
            _ = try ganRun(directory: directory, epochs: 4, resume: false, killAt: (epoch: 3, batch: 2))
        }
        let straightDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-gan-straight-\(UUID())")
        defer {
            try? FileManager.default.removeItem(at: base)
            try? FileManager.default.removeItem(at: straightDirectory)
        }
        let archive = try SafetensorsArchive(contentsOf: base.appendingPathComponent("checkpoint.safetensors"))
        #expect(archive.metadata["epoch"] == "2")
        #expect(archive.names.contains { $0.hasPrefix("optimizers.generator.") })
        let resumed = try ganRun(directory: base, epochs: 4, resume: true)
        let straight = try ganRun(directory: straightDirectory, epochs: 4, resume: false)
        let a = resumed.stateDict(), b = straight.stateDict()
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, t) in a { #expect(t.scalars == b[name]!.scalars, "\(name) differs after resume") }
    }
}
