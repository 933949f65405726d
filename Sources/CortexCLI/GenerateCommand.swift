// `cortex generate --run DIR`: continue a prompt with a trained language model (streaming), or draw new images
// from a generative model as a PNG grid.
import ArgumentParser
import Cortex
import CortexModels
import CortexReport
import CortexRuns
import Foundation

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
            throw PlainError("a \(config.model) run reconstructs images but draws no new ones; generate from a vae, cvae, gan, cgan, rbm or dbn run")
        }
        var label: Int?
        if let classLabel {
            guard config.kind.isConditional else { throw PlainError("--class needs a conditional model (cvae or cgan), not \(config.model)") }
            label = Int(classLabel) ?? config.classNames.firstIndex { $0.lowercased() == classLabel.lowercased() }
            guard let label, label >= 0 && label < config.classes else {
                throw PlainError("unknown --class '\(classLabel)': use 0…\(config.classes - 1) or one of \(config.classNames.joined(separator: ", "))")
            }
        }
        let images = drawSamples(model, config: config, count: count, seed: seed, classLabel: label)
        let tiles = imageTiles(images, imageShape: config.imageShape)
        let columns = config.kind.isConditional && label == nil ? config.classes : min(count, 16)
        let picture = ReportPicture.grid(tiles, width: config.imageShape[2], height: config.imageShape[1], columns: columns)
        let file = output.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("samples.png")
        do { try picture.pngData.write(to: file, options: .atomic) } catch {
            throw PlainError("cannot write \(file.path): \(plainDescription(error, namingPath: false))")
        }
        print("\(count) images from \(config.model) (seed \(seed)) in \(file.path)")
    }
}
