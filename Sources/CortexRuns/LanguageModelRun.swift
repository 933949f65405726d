// Character language models on the command line: `cortex train --data fortunes --model lstm|gpt` trains
// one on Debian's fortunes with a held-out split and writes a run (model, settings, history, report with
// bits per character and samples); `cortex generate --run DIR` continues a prompt, streaming.
import Cortex
import CortexModels
import CortexReport
import Foundation

/// What a language-model run directory records (language-model.json): enough to rebuild the model.
package struct LanguageModelRunConfig: RunRecordFile {
    package static let fileName = "language-model.json"
    package static let runDescription = "language model"
    package static let trainingHint = "cortex train --data fortunes --model lstm|gpt"

    package var model: String
    package var vocabulary: CharacterVocabulary
    package var contextLength: Int
    package var embeddingSize = 64, hiddenSize = 256, layers = 1
    package var dModel = 128, heads = 4, feedForward = 512, tieWeights = false
    package var seed: UInt64
    package var epochs: Int, batchSize: Int, learningRate: Float
    package var validationBitsPerChar: Double?
    package var unigramBitsPerChar: Double?
    package var trainingSeconds: Double?

    package func makeModel() -> any LanguageModel {
        if model == "gpt" {
            return GPT(vocabularySize: vocabulary.count, contextLength: contextLength, dModel: dModel, heads: heads, layers: layers,
                       feedForward: feedForward, tieWeights: tieWeights, seed: seed)
        }
        return CharLSTM(vocabularySize: vocabulary.count, embeddingSize: embeddingSize, hiddenSize: hiddenSize, numLayers: layers, seed: seed)
    }
}

/// A character language model (lstm or gpt) on Debian's fortunes.
public enum LanguageModelRun: TrainingRun {
    public static let name = "language-model"
    public static let runsDataParallel = true
    public static func accepts(_ request: TrainRequest) -> Bool { request.source.data == "fortunes" }
    public static func run(_ request: TrainRequest) throws { try request.trainLanguageModel() }
}

extension TrainRequest {
    /// Trains a character language model on fortunes into --output (staged, then swapped in).
    func trainLanguageModel() throws {
        let kind = model ?? "lstm"
        guard kind == "lstm" || kind == "gpt" else { throw PlainError("--data fortunes trains a language model: --model lstm or gpt, not '\(kind)'") }
        if resume { throw PlainError("--resume is not available for language-model runs yet; start a new run with --overwrite") }
        for (flag, given) in [("--cv", crossValidationFolds != nil), ("--hidden", hidden != nil), ("--schedule", schedule != nil),
                              ("--optimizer", optimizer != nil), ("--test-fraction", testFraction != nil)] where given {
            throw PlainError("\(flag) does not apply to a language model (it trains with Adam on a fixed 10% held-out split)")
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
        guard trainSet.count > 0 && validationSet.count > 0 else { throw PlainError("too little text to cut \(context)-character windows from") }
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
        if let collective { log("data-parallel: \(collective.size) processes, each on its share of every global batch") }
        log("data: fortunes, \(train.entries.count) entries (\(trainIDs.count) characters) for training, "
              + "\(validation.entries.count) (\(validationIDs.count)) held out; \(vocabulary.count) characters")

        let directory = RunDirectory(output)
        _ = try directory.prepareStaging(resume: false, overwrite: overwrite)
        do {
            let network = config.makeModel()
            log("model: \(kind), \(network.parameterCount) parameters")
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
            log(String(format: "validation: %@ bits per character (a unigram model: %.3f)", bits, config.unigramBitsPerChar!))
        } catch {
            directory.discardStaging()
            throw error
        }
        try directory.commit()
        log("report: \(directory.final.appendingPathComponent("report.html").path)")
    }
}

