// Vision: Fashion-MNIST (70,000 28×28 grey images of ten kinds of clothing, Debian's dataset-fashion-mnist).
// A small CNN (two convolution blocks with batch norm) chooses its epoch on 5,000 training images held out
// for validation and reads the test set once: accuracy, per-class F1 and the confusion matrix.
import Cortex
import CortexModels
import CortexReport
import Foundation

public struct VisionApplication: Application {
    public init() {}
    public let name = "vision"
    public let summary = "Fashion-MNIST clothing images (Debian's dataset-fashion-mnist): a small CNN"
    static let folder = "/usr/share/datasets/fashion-mnist/"
    public let sources: [DataSource] = [.debian(package: "dataset-fashion-mnist", files: [
        PinnedFile(folder + "train-images-idx3-ubyte.gz", size: 26_421_856, sha256: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
        PinnedFile(folder + "train-labels-idx1-ubyte.gz", size: 29_491, sha256: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
        PinnedFile(folder + "t10k-images-idx3-ubyte.gz", size: 4_422_079, sha256: "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
        PinnedFile(folder + "t10k-labels-idx1-ubyte.gz", size: 5_125, sha256: "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
    ])]

    public func run(_ context: ApplicationContext) throws -> ApplicationResult {
        let files = try files(ofSource: 0, in: context.store)
        var train = try IDXDataset.load(images: files[0], labels: files[1]), test = try IDXDataset.load(images: files[2], labels: files[3])
        if context.quick {  // 2,000 training and 1,000 test images
            train = train.prefix(2_000)
            test = test.prefix(1_000)
        }
        let names = IDXDataset.fashionMNISTClassNames
        let labels = train.labels.integers, testLabels = test.labels.integers
        let split = trainValidationTestSplit(count: labels.count, validationFraction: context.quick ? 0.2 : 5_000.0 / 60_000, testFraction: 0,
                                             stratifyBy: labels, seed: context.seed)
        let quality = Self.quality(train: train, test: test, names: names)
        let fit = TensorDataset(inputs: selectRows(train.images, split.train), targets: selectRows(train.labels, split.train))
        let validation = TensorDataset(inputs: selectRows(train.images, split.validation), targets: selectRows(train.labels, split.validation))
        let model = SmallConvNet(seed: context.seed)
        let stopping = EarlyStopping(monitor: .validationLoss, patience: 3)
        let trainer = Trainer(model, Adam(model.parameters(), learningRate: 1e-3), loss: .crossEntropy)
        let (history, seconds) = try timed {
            try trainer.fit(fit, validation: validation, epochs: context.quick ? 2 : 15, batchSize: 64, seed: context.seed, callbacks: [stopping])
        }
        model.eval()
        let evaluation = trainer.evaluate(TensorDataset(inputs: test.images, targets: test.labels), batchSize: 500)
        let predicted = evaluation.outputs.argmax(dim: 1).integers
        let accuracy = try Cortex.accuracy(yTrue: testLabels, yPred: predicted)
        let report = try classificationReport(yTrue: testLabels, yPred: predicted, labels: Array(0..<10), targetNames: names)
        let matrix = try confusionMatrix(yTrue: testLabels, yPred: predicted, labels: Array(0..<10)).counts
        let best = stopping.bestEpoch ?? history.epochs.count
        context.log("vision: test accuracy \(format(accuracy)) (epoch \(best) of \(history.epochs.count), \(String(format: "%.0f", seconds)) s)")
        let figures = [
            ApplicationFigure(dataset: "Fashion-MNIST", metric: "test accuracy, small CNN", value: accuracy,
                              references: "2-layer CNN ≈ 0.91–0.92; ResNet-18 ≈ 0.94–0.95 (zalandoresearch benchmark)"),
            ApplicationFigure(dataset: "Fashion-MNIST", metric: "test macro-F1", value: report.macroAverage.f1, references: "same"),
        ]
        let perClass = names.indices.map { c in
            [names[c], format(report.classes[c].precision, 3), format(report.classes[c].recall, 3), format(report.classes[c].f1, 3), "\(report.classes[c].support)"]
        }
        let epochs = history.epochs.map { Double($0.epoch) }
        let result = ApplicationReport(
            title: "Vision: Fashion-MNIST", kicker: "Cortex application · vision",
            summary: figures.map { ReportItem($0.metric, $0.text) },
            sections: [quality,
                       .init("A small CNN",
                             note: "Training \(split.train.count) images, validation \(split.validation.count) (stratified, seed \(context.seed)); early stopping "
                                 + "on validation loss kept epoch \(best) of \(history.epochs.count) (\(String(format: "%.0f", seconds)) s, \(model.parameters().reduce(0) { $0 + $1.count }) parameters). "
                                 + "The \(testLabels.count) test images are read once.",
                             [.chart(.init(title: "Accuracy per epoch", xLabel: "epoch", yLabel: "accuracy",
                                           series: [.init("training", xs: epochs, ys: history.epochs.map(\.trainMetric)),
                                                    .init("validation", xs: epochs, ys: history.epochs.map { $0.validationMetric ?? .nan })])),
                              .chart(.init(title: "Loss per epoch", xLabel: "epoch", yLabel: "cross-entropy",
                                           series: [.init("training", xs: epochs, ys: history.epochs.map(\.trainLoss)),
                                                    .init("validation", xs: epochs, ys: history.epochs.map { $0.validationLoss ?? .nan })])),
                              .table(header: ["class", "precision", "recall", "F1", "support"], rows: perClass),
                              .confusion(matrix: matrix, classNames: names)])])
        return ApplicationResult(report: result, figures: figures)
    }

    /// Exact checks on the images: class balance, images repeated pixel for pixel, and test images that are also
    /// training images.
    static func quality(train: IDXDataset, test: IDXDataset, names: [String]) -> ApplicationReport.Section {
        let pixels = 28 * 28
        func keys(_ d: IDXDataset) -> [[UInt32]] {
            let values = d.images.contiguous().scalars
            return (0..<d.images.shape[0]).map { i in values[(i * pixels)..<((i + 1) * pixels)].map(\.bitPattern) }
        }
        let trainKeys = keys(train), testKeys = keys(test)
        var seen = Set<[UInt32]>()
        let repeated = trainKeys.reduce(0) { $0 + (seen.insert($1).inserted ? 0 : 1) }
        let shared = testKeys.filter { seen.contains($0) }.count
        let counts = (0..<10).map { c in train.labels.integers.filter { $0 == c }.count }
        var warnings: [String] = []
        if repeated > 0 { warnings.append("\(repeated) training images repeated") }
        if shared > 0 { warnings.append("\(shared) test images also in training") }
        return .init("The images", note: DataQuality.note(warnings), [
            .table(header: ["check", "result"], rows: [
                ["training × test images", "\(train.images.shape[0]) × \(test.images.shape[0]), 28 × 28 grey"],
                ["training images repeated pixel for pixel", "\(repeated)"],
                ["test images also in training", "\(shared) of \(testKeys.count)"],
                ["training images per class", zip(names, counts).map { "\($0) \($1)" }.joined(separator: ", ")],
            ])])
    }
}
