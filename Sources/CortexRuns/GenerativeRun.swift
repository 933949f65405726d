// Generative models and representation learners on the command line: `cortex train --data fashion-mnist
// --model ae|dae|vae|cvae|gan|cgan|rbm|dbn` trains one into a run directory (model, settings, history,
// checkpoint, and a report of pictures: reconstructions beside inputs, samples per epoch, the codes on a
// 2-D map coloured by class, interpolations, an RBM's filters, a GAN's two losses); `cortex generate --run
// DIR --count N [--class C]` writes a PNG grid of new samples; `cortex encode` writes codes as CSV.
import Cortex
import CortexModels
import CortexReport
import Foundation

/// The model kinds of this file.
package enum GenerativeKind: String, CaseIterable {
    case ae, dae, vae, cvae, gan, cgan, rbm, dbn
    /// Self-supervised: a convolutional denoising autoencoder pretrained on all training images without their
    /// labels, then judged by a linear probe trained on a few labels (`labels`, default 600).
    case ssl

    package var isConditional: Bool { self == .cvae || self == .cgan }
    /// Kinds that give each image a code (`cortex encode`).
    package var encodes: Bool { self != .gan && self != .cgan }
    /// Kinds that draw new images (`cortex generate`).
    package var generates: Bool { [.vae, .cvae, .gan, .cgan, .rbm, .dbn].contains(self) }
}

/// What a generative run records (generative-model.json): enough to rebuild the model, and what it scored.
package struct GenerativeRunConfig: RunRecordFile {
    package static let fileName = "generative-model.json"
    package static let runDescription = "generative model"
    package static let trainingHint = "cortex train --data fashion-mnist --model vae"

    package var model: String
    /// Where the images came from: fashion-mnist or fashion-mnist-subset, its directory and the --limit, so a
    /// resumed run reads the same examples.
    package var data: String
    package var dataDir: String?
    package var limit: Int?
    package var imageShape: [Int]
    package var classNames: [String]
    /// Hidden widths: the AE's and VAE's layers, the RBM's hidden units, the DBN's layers above the image.
    package var hidden: [Int]
    /// The code's size (AE, VAE) or the GAN's noise size.
    package var latent: Int
    package var seed: UInt64
    package var epochs: Int, batchSize: Int, learningRate: Float
    /// The denoising autoencoder's masking probability.
    package var noise: Float?
    /// Labelled examples the self-supervised run's linear probe may use.
    package var labels: Int?
    /// Test-set figures by name ("mse", "negative_elbo", "accuracy", …).
    package var results: [String: Double] = [:]
    package var trainingSeconds: Double?

    package var kind: GenerativeKind { GenerativeKind(rawValue: model)! }
    package var classes: Int { classNames.count }

    package func makeModel() -> Module {
        switch kind {
        case .ae, .dae: Autoencoder(inputShape: imageShape, hiddenSizes: hidden, codeSize: latent, seed: seed)
        case .ssl: ConvAutoencoder(inputShape: imageShape, channels: (hidden[0], hidden[1]), codeSize: latent, seed: seed)
        case .vae, .cvae: VariationalAutoencoder(inputShape: imageShape, hiddenSizes: hidden, latentSize: latent,
                                                 classes: kind == .cvae ? classes : nil, seed: seed)
        case .gan, .cgan: GAN(imageShape: imageShape, latentSize: latent, width: 64, classes: kind == .cgan ? classes : nil, seed: seed)
        case .rbm: RBM(visible: imageShape.reduce(1, *), hidden: hidden[0], seed: seed)
        case .dbn: DeepBeliefNetwork(sizes: [imageShape.reduce(1, *)] + hidden, seed: seed)
        }
    }

    /// Loads a finished run's model in evaluation mode.
    package static func loadModel(from directory: URL) throws -> (GenerativeRunConfig, Module) {
        let config = try read(from: directory)
        let model = config.makeModel()
        try model.loadStateDict(try loadSafetensors(directory.appendingPathComponent("model.safetensors")))
        model.eval()
        return (config, model)
    }
}

/// The generative models and representation learners (`GenerativeKind`) on Fashion-MNIST: asked for by --model,
/// or, resuming without one, by the run directory's own generative-model.json.
public enum GenerativeRun: TrainingRun {
    public static let name = "generative"
    public static func accepts(_ request: TrainRequest) throws -> Bool { try kind(of: request) != nil }
    public static func run(_ request: TrainRequest) throws {
        guard let kind = try kind(of: request) else { throw PlainError("--model \(request.model ?? "") is not a generative model") }
        try request.trainGenerative(kind)
    }

    static func kind(of request: TrainRequest) throws -> GenerativeKind? {
        if let model = request.model { return GenerativeKind(rawValue: model) }
        return request.resume ? try RunDirectory(request.output).savedGenerativeKind() : nil
    }
}

extension TrainRequest {
    /// Trains a generative model on Fashion-MNIST (or its bundled subset) into --output, staged and swapped in.
    func trainGenerative(_ kind: GenerativeKind) throws {
        for (flag, given) in [("--cv", crossValidationFolds != nil), ("--schedule", schedule != nil), ("--optimizer", optimizer != nil),
                              ("--test-fraction", testFraction != nil), ("--csv", source.csv != nil)] where given {
            throw PlainError("\(flag) does not apply to --model \(kind.rawValue)")
        }
        let directory = RunDirectory(output)
        let (resumeFrom, unfinished) = try directory.prepareStaging(resume: resume, overwrite: overwrite, log: log)
        var config: GenerativeRunConfig, data: LoadedData
        do {
            let saved = try resumeFrom.map { try GenerativeRunConfig.read(from: $0) }
            if let saved, saved.model != kind.rawValue {
                throw PlainError("--resume continues the run's own model \(saved.model), not --model \(kind.rawValue)")
            }
            var options = source
            if let saved {
                // A resumed run reads the examples it was trained on, whatever the options say.
                (options.data, options.dataDir, options.limit) = (saved.data, saved.dataDir, saved.limit)
            }
            guard options.data == "fashion-mnist" || options.data == "fashion-mnist-subset" else {
                throw PlainError("--model \(kind.rawValue) trains on images: --data fashion-mnist or fashion-mnist-subset")
            }
            data = try options.load(log: log)
            let defaults = Self.generativeDefaults(kind)
            let hiddenSizes = hidden ?? defaults.hidden
            config = saved ?? GenerativeRunConfig(
                model: kind.rawValue, data: options.data!, dataDir: options.dataDir, limit: options.limit, imageShape: Array(data.train.inputs.shape.dropFirst()), classNames: data.classNames,
                hidden: hiddenSizes, latent: latent ?? defaults.latent, seed: seed ?? 0,
                epochs: epochs ?? 10, batchSize: batchSize ?? defaults.batchSize, learningRate: learningRate ?? defaults.learningRate,
                noise: kind == .dae ? 0.3 : kind == .ssl ? 0.5 : nil, labels: kind == .ssl ? (labels ?? 600) : nil)
            if let epochs { config.epochs = epochs }
            switch kind {
            case .rbm where config.hidden.count != 1: throw PlainError("--model rbm takes one --hidden size (its hidden units), not \(config.hidden)")
            case .ssl where config.hidden.count != 2:
                throw PlainError("--model ssl takes two --hidden sizes (the channels of its two convolutions), not \(config.hidden)")
            case .ae, .dae, .vae, .cvae, .dbn:
                if config.hidden.isEmpty { throw PlainError("--model \(kind.rawValue) needs at least one --hidden size") }
            default: break
            }
        } catch {
            if !unfinished { directory.discardStaging() }
            throw error
        }
        log("data: \(data.description)")
        do {
            var training = GenerativeTraining(config: config, data: data, directory: directory.staging, resume: resumeFrom != nil, log: log)
            try training.run()
        } catch {
            var message = error is PlainError ? "\(error)" : plainDescription(error)
            if directory.keepIfResumable() {
                message += ". The unfinished run is in \(directory.staging.path); --resume continues it from its last checkpoint"
            }
            throw PlainError(message)
        }
        try directory.commit()
        log("report: \(directory.final.appendingPathComponent("report.html").path)")
    }

    static func generativeDefaults(_ kind: GenerativeKind) -> (hidden: [Int], latent: Int, batchSize: Int, learningRate: Float) {
        switch kind {
        case .ae, .dae: ([512, 128], 32, 128, 1e-3)
        case .vae, .cvae: ([512, 256], 16, 128, 1e-3)
        case .gan, .cgan: ([], 64, 64, 2e-4)
        case .rbm: ([256], 0, 64, 0.05)
        case .ssl: ([32, 64], 64, 128, 1e-3)
        case .dbn: ([256, 64], 0, 64, 0.05)
        }
    }
}

/// One generative run: training through Trainer with checkpoints (a DBN: layer by layer, then fine-tuning),
/// test figures, and the report.
struct GenerativeTraining {
    var config: GenerativeRunConfig
    let data: LoadedData
    let directory: URL
    let resume: Bool
    let log: (String) -> Void

    var train: TensorDataset { data.train }
    var test: TensorDataset { data.test! }

    /// Images as their own targets (autoencoders), or with their labels (everything else).
    func dataset(_ d: TensorDataset) -> TensorDataset {
        [.ae, .dae, .ssl].contains(config.kind) ? TensorDataset(inputs: d.inputs, targets: d.inputs) : d
    }

    mutating func run() throws {
        try config.write(to: directory)
        manualSeed(config.seed)
        let model = config.makeModel()
        log("model: \(config.model), \(model.parameterCount) parameters; batch \(config.batchSize), lr \(config.learningRate)")
        let start = Date()
        let history: History
        var extraHistory: History?
        if let dbn = model as? DeepBeliefNetwork {
            (history, extraHistory) = try trainBeliefNetwork(dbn)
        } else {
            history = try fit(model)
        }
        config.trainingSeconds = Date().timeIntervalSince(start)
        model.eval()
        config.results = try results(model)
        try config.write(to: directory)
        try saveSafetensors(model.stateDict(), to: directory.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
        for (name, value) in config.results.sorted(by: { $0.key < $1.key }) { log(String(format: "test %@: %.4f", name, value)) }
        try report(model, history: history, layerHistory: extraHistory).write(to: directory.appendingPathComponent("report.html"))
    }

    /// The step that trains `model`, with its optimiser(s).
    func step(_ model: Module) -> any TrainingStep {
        switch model {
        case let ae as Autoencoder: AutoencoderStep(ae, Adam(ae.parameters(), learningRate: config.learningRate))
        case let ae as ConvAutoencoder: AutoencoderStep(ae, Adam(ae.parameters(), learningRate: config.learningRate), loss: .binaryCrossEntropy)
        case let vae as VariationalAutoencoder: VAEStep(vae, Adam(vae.parameters(), learningRate: config.learningRate))
        case let gan as GAN:
            GANStep(gan, generatorOptimizer: Adam(gan.generator.parameters(), learningRate: config.learningRate, betas: (0.5, 0.999)),
                    discriminatorOptimizer: Adam(gan.discriminator.parameters(), learningRate: config.learningRate, betas: (0.5, 0.999)))
        case let rbm as RBM: ContrastiveDivergenceStep(rbm, SGD(rbm.parameters(), learningRate: config.learningRate, momentum: 0.5))
        default: preconditionFailure("no training step for \(type(of: model))")
        }
    }

    /// Trains one model through Trainer, checkpointing every epoch into `checkpointDirectory` (resumed from there
    /// when this run resumes), sample grids per epoch for the models that draw.
    func fit(_ model: Module, step: (any TrainingStep)? = nil, train: TensorDataset? = nil, validation: TensorDataset? = nil,
             checkpointDirectory: URL? = nil, epochs: Int? = nil, label: String? = nil) throws -> History {
        let trainer = Trainer(model, step: step ?? self.step(model))
        let folder = checkpointDirectory ?? directory
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let checkpointer = Checkpointer(directory: folder)
        if resume && FileManager.default.fileExists(atPath: checkpointer.file.path) {
            try trainer.resume(from: checkpointer.file)
            log("\(label.map { $0 + ": " } ?? "")resumed after epoch \(trainer.completedEpochs)")
        }
        let total = epochs ?? config.epochs
        var callbacks: [any Callback] = [ProgressBar(totalEpochs: total), CSVLogger(file: folder.appendingPathComponent("history.csv")), checkpointer]
        if config.kind.generates && checkpointDirectory == nil { callbacks.append(SampleGridRecorder(config: config, model: model, directory: folder)) }
        if trainer.completedEpochs < total {
            let transform: (any BatchTransform)? = config.noise.map { MaskingNoise(probability: $0, seed: config.seed &+ 17) }
            try trainer.fit(train ?? dataset(self.train), validation: validation ?? dataset(test), epochs: total, batchSize: config.batchSize,
                            seed: config.seed, transform: transform, callbacks: callbacks)
        }
        return trainer.history
    }

    /// Greedy pretraining, one machine after another on the data passed up through those below (each with its
    /// own checkpoint folder, so a killed run resumes inside the layer it was in), then the unrolled MLP
    /// fine-tuned on the labels. Returns the fine-tuning history and the layers' curves.
    func trainBeliefNetwork(_ dbn: DeepBeliefNetwork) throws -> (History, History) {
        var layerRecords: [EpochRecord] = []
        for (i, machine) in dbn.machines.enumerated() {
            log("layer \(i + 1) of \(dbn.machines.count): RBM \(machine.visibleCount) → \(machine.hiddenCount)")
            let layerTrain = dbn.trainingData(for: i, from: train), layerTest = dbn.trainingData(for: i, from: test)
            let history = try fit(machine, train: layerTrain, validation: layerTest,
                                  checkpointDirectory: directory.appendingPathComponent("layer-\(i + 1)"), label: "layer \(i + 1)")
            for (e, record) in history.epochs.enumerated() {
                if layerRecords.count <= e { layerRecords.append(EpochRecord(epoch: e + 1, trainLoss: .nan, trainMetric: .nan, validationLoss: nil,
                                                                             validationMetric: nil, learningRate: .nan, seconds: 0, values: [:])) }
                layerRecords[e].values?["layer \(i + 1) reconstruction"] = record.trainLoss
                layerRecords[e].values?["layer \(i + 1) pseudo-likelihood"] = record.validationMetric ?? .nan
                if let v = record.validationLoss { layerRecords[e].values?["layer \(i + 1) test reconstruction"] = v }
            }
        }
        var layers = History(metricName: "")
        layers.epochs = layerRecords
        // Fine-tuning: the unrolled network, a new softmax head, Adam on the labels.
        let mlp = dbn.unrolled(outputs: config.classes, seed: config.seed)
        let finetune = SupervisedStep(mlp, Adam(mlp.parameters(), learningRate: 1e-3), loss: .crossEntropy)
        log("fine-tuning the unrolled network on the labels")
        let history = try fit(mlp, step: finetune, train: train, validation: test,
                              checkpointDirectory: directory.appendingPathComponent("fine-tune"), label: "fine-tuning")
        // The fine-tuned weights are the run's classifier: keep them beside the network.
        try saveSafetensors(mlp.stateDict(), to: directory.appendingPathComponent("classifier.safetensors"), metadata: ["format": "pt"])
        return (history, layers)
    }

    /// The test figures of each kind.
    func results(_ model: Module) throws -> [String: Double] {
        let images = test.inputs
        switch model {
        case let ae as Autoencoder:
            return ["mse": ae.reconstructionMSE(images)]
        case let ae as ConvAutoencoder:
            // The codes judged by what a linear classifier makes of them with few labels, beside an untrained encoder's.
            var generator = RandomGenerator(seed: config.seed)
            let labelled = Array((0..<train.count).shuffled(using: &generator).prefix(config.labels ?? 600))
            let subset = train.subset(labelled)
            let untrained = config.makeModel() as! ConvAutoencoder
            return ["mse": ae.reconstructionMSE(images),
                    "probe_accuracy": try linearProbeAccuracy(ae, labelled: subset, test: test, seed: config.seed),
                    "untrained_probe_accuracy": try linearProbeAccuracy(untrained, labelled: subset, test: test, seed: config.seed)]
        case let vae as VariationalAutoencoder:
            // One code per example from a fixed seed: the test negative ELBO in nats per example.
            let figures = vae.evaluate(images, labels: config.kind == .cvae ? test.targets : nil, generator: RandomGenerator(seed: 1))
            return ["negative_elbo": figures.negativeELBO, "reconstruction": figures.reconstruction, "kl": figures.kl, "mse": figures.mse]
        case let rbm as RBM:
            let flat = images.flattened(from: 1)
            return ["reconstruction": rbm.reconstructionError(flat), "pseudo_likelihood": rbm.pseudoLikelihood(flat, generator: RandomGenerator(seed: 1))]
        case is DeepBeliefNetwork:
            let mlp = (model as! DeepBeliefNetwork).unrolled(outputs: config.classes, seed: config.seed)
            try mlp.loadStateDict(try loadSafetensors(directory.appendingPathComponent("classifier.safetensors")))
            mlp.eval()
            let predictions = noGrad { mlp(images).argmax(dim: 1) }.integers
            return ["accuracy": try accuracy(yTrue: test.targets.integers, yPred: predictions)]
        default:
            return [:]
        }
    }
}
