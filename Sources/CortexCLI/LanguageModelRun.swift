// Character language models on the command line: `cortex train --data fortunes --model lstm|gpt` trains
// one on Debian's fortunes with a held-out split and writes a run (model, settings, history, report with
// bits per character and samples); `cortex generate --run DIR` continues a prompt, streaming.
import ArgumentParser
import Cortex
import CortexModels
import CortexReport
import Foundation

/// What a language-model run directory records (language-model.json): enough to rebuild the model.
struct LanguageModelRunConfig: Codable {
    static let fileName = "language-model.json"

    var model: String
    var vocabulary: CharacterVocabulary
    var contextLength: Int
    var embeddingSize = 64, hiddenSize = 256, layers = 1
    var dModel = 128, heads = 4, feedForward = 512, tieWeights = false
    var seed: UInt64
    var epochs: Int, batchSize: Int, learningRate: Float
    var validationBitsPerChar: Double?
    var unigramBitsPerChar: Double?
    var trainingSeconds: Double?

    func makeModel() -> any LanguageModel {
        if model == "gpt" {
            return GPT(vocabularySize: vocabulary.count, contextLength: contextLength, dModel: dModel, heads: heads, layers: layers,
                       feedForward: feedForward, tieWeights: tieWeights, seed: seed)
        }
        return CharLSTM(vocabularySize: vocabulary.count, embeddingSize: embeddingSize, hiddenSize: hiddenSize, numLayers: layers, seed: seed)
    }

    static func read(from directory: URL) throws -> LanguageModelRunConfig {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CLIError("\(directory.path) holds no language model (no \(fileName)); train one with cortex train --data fortunes --model lstm|gpt")
        }
        do { return try JSONDecoder().decode(LanguageModelRunConfig.self, from: Data(contentsOf: url)) } catch {
            throw CLIError("\(url.path): not a language-model run config (\(error.localizedDescription))")
        }
    }

    func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: directory.appendingPathComponent(Self.fileName), options: .atomic)
    }
}

extension TrainCommand {
    /// Trains a character language model on fortunes into --output (staged, then swapped in).
    func trainLanguageModel() throws {
        let kind = model ?? "lstm"
        guard kind == "lstm" || kind == "gpt" else { throw CLIError("--data fortunes trains a language model: --model lstm or gpt, not '\(kind)'") }
        if resume { throw CLIError("--resume is not available for language-model runs yet; start a new run with --overwrite") }
        for (flag, given) in [("--cv", cv != nil), ("--hidden", hidden != nil), ("--schedule", schedule != nil),
                              ("--optimizer", optimizer != nil), ("--test-fraction", testFraction != nil)] where given {
            throw CLIError("\(flag) does not apply to a language model (it trains with Adam on a fixed 10% held-out split)")
        }
        let corpus = try TextCorpus.fortunes(directory: source.dataDir.map { URL(fileURLWithPath: $0) } ?? TextCorpus.fortunesDirectory)
        let seed = self.seed ?? 0
        var (train, validation) = corpus.split(validationFraction: 0.1, seed: seed)
        if let limit = source.limit {
            train = TextCorpus(entries: Array(train.entries.prefix(limit)))
            validation = TextCorpus(entries: Array(validation.entries.prefix(max(1, limit / 9))))
        }
        let vocabulary = CharacterVocabulary(text: train.text)
        let context = 64
        var config = LanguageModelRunConfig(model: kind, vocabulary: vocabulary, contextLength: context, seed: seed,
                                            epochs: epochs ?? 5, batchSize: batchSize ?? 32,
                                            learningRate: learningRate ?? (kind == "gpt" ? 1e-3 : 2e-3))
        if kind == "gpt" { config.layers = 4 }
        let trainIDs = vocabulary.encode(train.text), validationIDs = vocabulary.encode(validation.text)
        let trainSet = TensorDataset.nextTokenWindows(trainIDs, length: context)
        let validationSet = TensorDataset.nextTokenWindows(validationIDs, length: context)
        guard trainSet.count > 0 && validationSet.count > 0 else { throw CLIError("too little text to cut \(context)-character windows from") }
        // Under mpirun: data-parallel, --batch-size windows per process. Rank 0 does everything a lone run does; the
        // others train their shards and write nothing.
        let collective = try dataParallel()
        if let collective, collective.rank != 0 {
            let network = config.makeModel()
            let trainer = Trainer(network, step: LanguageModelStep(network, Adam(network.parameters(), learningRate: config.learningRate)))
            trainer.collective = collective
            try trainer.fit(trainSet, validation: validationSet, epochs: config.epochs, batchSize: config.batchSize, seed: seed)
            return
        }
        if let collective { print("data-parallel: \(collective.size) processes, each on its share of every global batch") }
        print("data: fortunes, \(train.entries.count) entries (\(trainIDs.count) characters) for training, "
              + "\(validation.entries.count) (\(validationIDs.count)) held out; \(vocabulary.count) characters")

        let directory = RunDirectory(output)
        _ = try directory.prepareStaging(resume: false, overwrite: overwrite)
        do {
            let network = config.makeModel()
            print("model: \(kind), \(network.parameterCount) parameters")
            let optimizer = Adam(network.parameters(), learningRate: config.learningRate)
            let trainer = Trainer(network, step: LanguageModelStep(network, optimizer))
            trainer.collective = collective
            let start = Date()
            let history = try trainer.fit(trainSet, validation: validationSet, epochs: config.epochs, batchSize: config.batchSize,
                                          seed: seed, callbacks: [ProgressBar(), CSVLogger(file: directory.staging.appendingPathComponent("history.csv"))])
            config.trainingSeconds = Date().timeIntervalSince(start)
            config.validationBitsPerChar = history.epochs.last?.validationMetric
            config.unigramBitsPerChar = unigramBitsPerCharacter(train: trainIDs, validation: validationIDs, vocabularySize: vocabulary.count)
            try config.write(to: directory.staging)
            try saveSafetensors(network.stateDict(), to: directory.staging.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
            // Three samples for the report, from prompts that open fortunes.
            var texts: [ReportText] = []
            for (i, prompt) in ["The ", "A ", "Q: "].enumerated() {
                let sampler = TokenSampler(temperature: 0.8, topK: 20, generator: RandomGenerator(seed: seed &+ UInt64(i)))
                let ids = network.generate(prompt: vocabulary.encode(prompt), maxTokens: 200, sampler: sampler) { _ in }
                texts.append(ReportText(caption: "prompt \"\(prompt)\", temperature 0.8, top-k 20", text: prompt + vocabulary.decode(ids)))
            }
            let bits = config.validationBitsPerChar.map { String(format: "%.3f", $0) } ?? "–"
            let report = RunReport(title: "Fortunes: character \(kind.uppercased())", summary: [
                ReportItem("model", "\(kind), \(network.parameterCount) parameters"),
                ReportItem("validation bits per character", bits),
                ReportItem("unigram model", String(format: "%.3f bits per character", config.unigramBitsPerChar!)),
                ReportItem("training", String(format: "%d epochs, %.0f s", history.epochs.count, config.trainingSeconds!)),
            ], history: history, texts: texts)
            try report.write(to: directory.staging.appendingPathComponent("report.html"))
            print(String(format: "validation: %@ bits per character (a unigram model: %.3f)", bits, config.unigramBitsPerChar!))
        } catch {
            directory.discardStaging()
            throw error
        }
        try directory.commit()
        print("report: \(directory.final.appendingPathComponent("report.html").path)")
    }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a trained language model (streaming), or draw new images from a generative model as a PNG grid.")

    @Option(name: .customLong("run"), help: "The run directory of a language model or of a vae, cvae, gan, cgan, rbm or dbn.")
    var runDirectory: String

    @Option(parsing: .unconditional, help: "Images to draw (generative models; default 64).")
    var count = 64

    @Option(name: .customLong("class"), help: "The class to draw, by index or name (cvae, cgan; default: every class in turn).")
    var classLabel: String?

    @Option(help: "The PNG file for the grid of images (default: samples.png in the run directory).")
    var output: String?

    @Option(help: "The text to continue.")
    var prompt = "The "

    @Option(parsing: .unconditional, help: "Sampling temperature: 0 always takes the likeliest character, 1 samples the model as it is.")
    var temperature: Float = 0.8

    @Option(name: .customLong("top-k"), parsing: .unconditional, help: "Sample only among the k likeliest characters.")
    var topK: Int?

    @Option(parsing: .unconditional, help: "Characters to write.")
    var maxTokens = 300

    @Option(parsing: .unconditional, help: "Random seed for sampling.")
    var seed: UInt64 = 0

    func validate() throws {
        guard temperature >= 0 && temperature.isFinite else { throw ValidationError("--temperature must be ≥ 0, not \(temperature)") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be positive, not \(topK)") }
        guard (1...100_000).contains(maxTokens) else { throw ValidationError("--max-tokens must be between 1 and 100000, not \(maxTokens)") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt is empty") }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000, not \(count)") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: runDirectory)
        if GenerativeRunConfig.exists(in: directory) { return try generateImages(directory) }
        let config = try LanguageModelRunConfig.read(from: directory)
        let model = config.makeModel()
        try model.loadStateDict(try loadSafetensors(directory.appendingPathComponent("model.safetensors")))
        model.eval()
        let sampler = TokenSampler(temperature: temperature, topK: topK, generator: RandomGenerator(seed: seed))
        FileHandle.standardOutput.write(Data(prompt.utf8))
        _ = model.generate(prompt: config.vocabulary.encode(prompt), maxTokens: maxTokens, sampler: sampler) { id in
            FileHandle.standardOutput.write(Data(config.vocabulary.decode([id]).utf8))
        }
        print()
    }
}

extension GenerateCommand {
    /// Draws `count` images from a generative run and writes them as one PNG grid.
    func generateImages(_ directory: URL) throws {
        let (config, model) = try GenerativeRunConfig.loadModel(from: directory)
        guard config.kind.generates else {
            throw CLIError("a \(config.model) run reconstructs images but draws no new ones; generate from a vae, cvae, gan, cgan, rbm or dbn run")
        }
        var label: Int?
        if let classLabel {
            guard config.kind.isConditional else { throw CLIError("--class needs a conditional model (cvae or cgan), not \(config.model)") }
            label = Int(classLabel) ?? config.classNames.firstIndex { $0.lowercased() == classLabel.lowercased() }
            guard let label, label >= 0 && label < config.classes else {
                throw CLIError("unknown --class '\(classLabel)': use 0…\(config.classes - 1) or one of \(config.classNames.joined(separator: ", "))")
            }
        }
        let images = drawSamples(model, config: config, count: count, seed: seed, classLabel: label)
        let tiles = imageTiles(images, imageShape: config.imageShape)
        let columns = config.kind.isConditional && label == nil ? config.classes : min(count, 16)
        let picture = ReportPicture.grid(tiles, width: config.imageShape[2], height: config.imageShape[1], columns: columns)
        let file = output.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("samples.png")
        do { try picture.pngData.write(to: file, options: .atomic) } catch {
            throw CLIError("cannot write \(file.path): \(plainDescription(error, namingPath: false))")
        }
        print("\(count) images from \(config.model) (seed \(seed)) in \(file.path)")
    }
}
