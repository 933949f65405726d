// `cortex train --data bbc-news --model minilm|lstm`: topic classification of the BBC News corpus (fetched by
// scripts/fetch-bbcnews) on a fixed stratified 80/20 split, by the pretrained MiniLM fine-tuned or a
// bidirectional LSTM trained from scratch; the report has accuracy, macro-F1 and the confusion matrix.
import ArgumentParser
import Cortex
import CortexModels
import CortexReport
import Foundation

extension TrainCommand {
    func trainTextClassifier() throws {
        let kind = model ?? "minilm"
        guard kind == "minilm" || kind == "lstm" else { throw CLIError("--data bbc-news trains --model minilm or lstm, not '\(kind)'") }
        if resume || cv != nil { throw CLIError("--resume and --cv are not available for text classification yet") }
        let environment = ProcessInfo.processInfo.environment
        let corpusPath = source.dataDir ?? ((environment["CORTEX_DATA"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/cortex/data").path) + "/bbc-news")
        guard FileManager.default.fileExists(atPath: corpusPath) else {
            throw CLIError("\(corpusPath): no BBC News corpus here; scripts/fetch-bbcnews fetches it (or give --data-dir)")
        }
        let corpus = try LabelledTexts.folders(URL(fileURLWithPath: corpusPath))
        let seed = self.seed ?? 0
        let split = trainValidationTestSplit(count: corpus.texts.count, validationFraction: 0, testFraction: 0.2,
                                             stratifyBy: corpus.labels, seed: seed)
        var train = corpus.subset(split.train)
        if let limit = source.limit {
            // A seeded sample of the training articles, so every topic is in it.
            var generator = RandomGenerator(seed: seed)
            train = train.subset(Array(Array(train.texts.indices).shuffled(using: &generator).prefix(limit)))
        }
        let test = corpus.subset(split.test)
        print("data: BBC News, \(corpus.texts.count) articles in \(corpus.classNames.count) topics; \(train.texts.count) for training, "
              + "\(test.texts.count) held out (stratified)")
        let encoder = try EncoderOption.load(nil)
        let length = 128
        let trainSet = TensorDataset(inputs: paddedIDs(train.texts, tokenizer: encoder.tokenizer, length: length), targets: Tensor(train.labels))
        let testSet = TensorDataset(inputs: paddedIDs(test.texts, tokenizer: encoder.tokenizer, length: length), targets: Tensor(test.labels))
        manualSeed(seed)
        let network: any Layer = kind == "minilm"
            ? BertClassifier(encoder: encoder.model, classes: corpus.classNames.count, seed: seed)
            : TextLSTMClassifier(vocabularySize: encoder.tokenizer.vocabulary.count, classes: corpus.classNames.count, seed: seed)
        network.train()
        let epochs = self.epochs ?? (kind == "minilm" ? 2 : 8)
        let rate = learningRate ?? (kind == "minilm" ? 5e-5 : 2e-3)
        let directory = RunDirectory(output)
        _ = try directory.prepareStaging(resume: false, overwrite: overwrite)
        do {
            print("model: \(kind), \(network.parameterCount) parameters; Adam \(rate), \(epochs) epochs, the first \(length) word pieces")
            let trainer = Trainer(network, Adam(network.parameters(), learningRate: rate), loss: .crossEntropy)
            let start = Date()
            let history = try trainer.fit(trainSet, validation: testSet, epochs: epochs, batchSize: batchSize ?? 16, seed: seed,
                                          callbacks: [ProgressBar(), CSVLogger(file: directory.staging.appendingPathComponent("history.csv"))])
            let seconds = Date().timeIntervalSince(start)
            network.eval()
            let predicted = noGrad { Tensor.cat(testSet.inputs.split(32).map { network($0).argmax(dim: 1) }) }.integers
            let truth = test.labels
            let accuracyValue = try accuracy(yTrue: truth, yPred: predicted)
            let macroF1 = try f1Score(yTrue: truth, yPred: predicted, average: .macro)
            let matrix = try confusionMatrix(yTrue: truth, yPred: predicted, labels: Array(corpus.classNames.indices))
            let perClass = try perClassPrecisionRecallF1(yTrue: truth, yPred: predicted, labels: Array(corpus.classNames.indices))
            try saveSafetensors(network.stateDict(), to: directory.staging.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
            let report = RunReport(title: "BBC News topics: \(kind == "minilm" ? "fine-tuned MiniLM" : "LSTM from scratch")", summary: [
                ReportItem("model", "\(kind), \(network.parameterCount) parameters"),
                ReportItem("test accuracy", String(format: "%.4f", accuracyValue)),
                ReportItem("test macro-F1", String(format: "%.4f", macroF1)),
                ReportItem("published references", "TF-IDF + linear model 0.96–0.98; fine-tuned BERT-base about 0.97–0.98"),
                ReportItem("training", String(format: "%d epochs, %.0f s", history.epochs.count, seconds)),
            ], history: history, classNames: corpus.classNames, confusionMatrix: matrix.counts,
               perClass: zip(corpus.classNames, perClass).map {
                   ReportClassScores(name: $0, precision: $1.precision, recall: $1.recall, f1: $1.f1, support: $1.support)
               })
            try report.write(to: directory.staging.appendingPathComponent("report.html"))
            print(String(format: "test accuracy %.4f, macro-F1 %.4f on %d held-out articles · %.0f s", accuracyValue, macroF1, truth.count, seconds))
            print(matrix.description)
        } catch {
            directory.discardStaging()
            throw error
        }
        try directory.commit()
        print("report: \(directory.final.appendingPathComponent("report.html").path)")
    }
}
