// Every kind of training run, started in-process through the registry the `cortex train` command uses: which kind
// takes which request, and each kind training, evaluating and writing its run directory.
import CortexEngine
import CortexModels
@testable import CortexRuns
import Foundation
import Testing
import Cortex

private func runFolder(_ name: String) -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-runs-\(name)-\(UUID().uuidString)")
    return url.path
}

/// A request whose progress lines are kept for the test to read.
private func request(_ source: ExampleSource, model: String? = nil, output: String, lines: Locked<[String]>) -> TrainRequest {
    TrainRequest(source: source, model: model, output: output, log: { line in lines.withLock { $0.append(line) } })
}

/// A two-class table: the class is whether x + y > 0.
private func writeTable(rows: Int) throws -> URL {
    var text = "x,y,label\n"
    for i in 0..<rows {
        let x = Double((i * 37) % 101) / 50 - 1, y = Double((i * 53) % 97) / 48 - 1
        text += "\(x),\(y),\(x + y > 0 ? "up" : "down")\n"
    }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("runs-table-\(UUID().uuidString).csv")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

@Suite("Training runs in-process")
struct TrainingRunTests {
    @Test func eachRequestGoesToItsKind() throws {
        let lines = Locked<[String]>([])
        let images = ExampleSource(data: "fashion-mnist-subset")
        func kind(_ source: ExampleSource, model: String? = nil, folds: Int? = nil) throws -> String {
            var r = request(source, model: model, output: runFolder("kind"), lines: lines)
            r.crossValidationFolds = folds
            return try TrainingRuns.kind(for: r).name
        }
        #expect(try kind(images) == SupervisedRun.name)
        #expect(try kind(images, model: "cnn") == SupervisedRun.name)
        #expect(try kind(images, model: "linear(32), relu, linear(10)") == SupervisedRun.name)
        #expect(try kind(ExampleSource(csv: "t.csv", target: "y"), folds: 3) == CrossValidationRun.name)
        for generative in GenerativeKind.allCases { #expect(try kind(images, model: generative.rawValue) == GenerativeRun.name) }
        #expect(try kind(ExampleSource(data: "fortunes"), model: "gpt") == LanguageModelRun.name)
        #expect(try kind(ExampleSource(data: "bbc-news")) == TextClassificationRun.name)
        let dataParallel = TrainingRuns.all.filter { $0.runsDataParallel }.map { $0.name }
        #expect(dataParallel.sorted() == [LanguageModelRun.name, SupervisedRun.name])
    }

    @Test func aRequestNoRunCanTakeIsRefusedBeforeAnythingIsRead() {
        let lines = Locked<[String]>([])
        var both = request(ExampleSource(data: "fashion-mnist-subset"), output: runFolder("bad"), lines: lines)
        (both.resume, both.overwrite) = (true, true)
        #expect(throws: PlainError.self) { try TrainingRuns.run(both) }
        var unknown = request(ExampleSource(data: "imagenet"), output: runFolder("bad"), lines: lines)
        unknown.epochs = 1
        #expect { try TrainingRuns.run(unknown) } throws: { "\($0)".contains("unknown --data 'imagenet'") }
        let noData = request(ExampleSource(), output: runFolder("bad"), lines: lines)
        #expect { try TrainingRuns.run(noData) } throws: { "\($0)".contains("--data NAME or --csv FILE") }
        #expect(lines.withLock { $0 }.isEmpty)
    }

    /// An MLP on 600 of the bundled images for two epochs: well above the 10% of guessing, and a complete run directory.
    @Test func aClassifierTrainsIntoARunDirectory() throws {
        let lines = Locked<[String]>([])
        let output = runFolder("mlp")
        defer { try? FileManager.default.removeItem(atPath: output) }
        var r = request(ExampleSource(data: "fashion-mnist-subset", limit: 600), model: "mlp", output: output, lines: lines)
        (r.epochs, r.seed) = (2, 0)
        try TrainingRuns.run(r)
        for file in ["model.safetensors", "config.json", "history.csv", "checkpoint.safetensors", "report.html", "diagnostics.json"] {
            #expect(FileManager.default.fileExists(atPath: output + "/" + file), "\(file) missing")
        }
        let log = lines.withLock { $0 }
        let line = try #require(log.first { $0.hasPrefix("test accuracy") })
        let accuracy = try #require(Double(line.split(separator: " ")[2]))
        #expect(accuracy > 0.5, "\(line)")
        let config = try RunConfig.read(from: URL(fileURLWithPath: output))
        #expect(config.training?.epochs == 2 && config.training?.optimizer == .adam)
    }

    @Test func crossValidationScoresEveryFold() throws {
        let lines = Locked<[String]>([])
        let table = try writeTable(rows: 120)
        defer { try? FileManager.default.removeItem(at: table) }
        var r = request(ExampleSource(csv: table.path, target: "label"), output: runFolder("cv"), lines: lines)
        (r.crossValidationFolds, r.epochs, r.learningRate) = (3, 15, 0.01)
        try TrainingRuns.run(r)
        let log = lines.withLock { $0 }
        #expect(log.filter { $0.hasPrefix("fold ") }.count == 3)
        // The summary's accuracy row: a linear boundary is learnt far beyond the 50% of guessing.
        let summary = try #require(log.last)
        let row = try #require(summary.split(separator: "\n").first { $0.hasPrefix("accuracy") })
        let mean = try #require(row.split(separator: " ").compactMap { Double($0) }.first)
        #expect(mean > 0.8, "\(summary)")
        #expect(!FileManager.default.fileExists(atPath: r.output))
    }

    /// A dense autoencoder, two epochs on 200 images: its test reconstruction beats the untrained network's 0.17.
    @Test func aGenerativeModelTrainsIntoARunDirectory() throws {
        let lines = Locked<[String]>([])
        let output = runFolder("ae")
        defer { try? FileManager.default.removeItem(atPath: output) }
        var r = request(ExampleSource(data: "fashion-mnist-subset", limit: 200), model: "ae", output: output, lines: lines)
        (r.epochs, r.batchSize) = (2, 50)
        try TrainingRuns.run(r)
        let config = try GenerativeRunConfig.read(from: URL(fileURLWithPath: output))
        let mse = try #require(config.results["mse"])
        #expect(mse < 0.15, "test MSE \(mse)")
        #expect(lines.withLock { $0 }.contains { $0.hasPrefix("test mse:") })
        // Resuming without --model finds the kind in the run directory.
        var resume = request(ExampleSource(), output: output, lines: lines)
        resume.resume = true
        #expect(try TrainingRuns.kind(for: resume).name == GenerativeRun.name)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/games/fortunes/fortunes"), "needs Debian's fortunes"))
    func aLanguageModelTrainsIntoARunDirectory() throws {
        let lines = Locked<[String]>([])
        let output = runFolder("lm")
        defer { try? FileManager.default.removeItem(atPath: output) }
        var r = request(ExampleSource(data: "fortunes", limit: 300), model: "lstm", output: output, lines: lines)
        r.epochs = 1
        try TrainingRuns.run(r)
        let config = try LanguageModelRunConfig.read(from: URL(fileURLWithPath: output))
        let bits = try #require(config.validationBitsPerChar), unigram = try #require(config.unigramBitsPerChar)
        // One epoch on 300 entries predicts characters better than their frequencies alone (4.4 against 4.9 bits).
        #expect(bits < unigram, "\(bits) bits per character against the unigram model's \(unigram)")
    }

    @Test(.enabled(if: Fixtures.bbcNewsAvailable && Fixtures.miniLMAvailable, "needs the BBC News corpus and MiniLM's vocabulary"))
    func aTextClassifierTrainsIntoARunDirectory() throws {
        let lines = Locked<[String]>([])
        let output = runFolder("bbc")
        defer { try? FileManager.default.removeItem(atPath: output) }
        var r = request(ExampleSource(data: "bbc-news", limit: 200), model: "lstm", output: output, lines: lines)
        r.epochs = 1
        try TrainingRuns.run(r)
        #expect(FileManager.default.fileExists(atPath: output + "/report.html"))
        let line = try #require(lines.withLock { $0 }.first { $0.hasPrefix("test accuracy") })
        #expect(line.contains("macro-F1"))
    }
}
