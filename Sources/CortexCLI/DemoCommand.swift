// `cortex demo`: the first thing to run — a small CNN learns Fashion-MNIST from the subset bundled
// with Cortex, then is evaluated on test images it never saw.
import ArgumentParser
import Cortex
import CortexRuns
import CortexDistributed
import CortexModels
import CortexReport
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a small CNN on the bundled Fashion-MNIST subset and print its evaluation.")

    @Option(help: "Training epochs.")
    var epochs = 6

    @Option(help: "Random seed for weights, shuffling and dropout.")
    var seed: UInt64 = 0

    @Option(help: "Directory for the report, history and weights.")
    var output = "reports/demo"

    func validate() throws {
        guard (1...200).contains(epochs) else { throw ValidationError("--epochs must be between 1 and 200") }
    }

    func run() throws {
        if ProcessGroup.launchedByMPI { throw PlainError("the demo runs as one process; under mpirun, use cortex train (data-parallel)") }
        let start = Date()
        let train = try bundledFashionSubset(.train), test = try bundledFashionSubset(.test)
        manualSeed(seed)
        let model = SmallConvNet(classes: 10, seed: seed)
        print("Cortex \(cortexVersion) demo: Fashion-MNIST subset, \(train.count) training and \(test.count) test images")
        print("model: 2-conv CNN, \(model.parameterCount) parameters; Adam, learning rate 2e-3, batch 64, \(epochs) epochs\n")
        let optimizer = Adam(model.parameters(), learningRate: 2e-3)
        // A complete run directory, as `cortex train` writes: evaluate, predict and train --resume work on it.
        let directory = RunDirectory(output)
        _ = try directory.prepareStaging(resume: false, overwrite: true)
        let outputDirectory = directory.staging
        let config = RunConfig(model: .cnn, hidden: [], inputShape: [1, 28, 28], outputs: 10, task: .classification,
                               classNames: IDXDataset.fashionMNISTClassNames, featureNames: [], seed: seed,
                               training: RunConfig.Training(data: "fashion-mnist-subset", optimizer: .adam, learningRate: 2e-3,
                                                            batchSize: 64, schedule: .none, testFraction: 0.25, epochs: epochs))
        try config.write(to: outputDirectory)
        let trainSet = TensorDataset(inputs: train.images, targets: train.labels), testSet = TensorDataset(inputs: test.images, targets: test.labels)
        let checks = RunInsights.dataChecks(train: trainSet, test: testSet, isImage: true, isClassification: true,
                                            classNames: IDXDataset.fashionMNISTClassNames, featureNames: [])
        let diagnostics = RunInsights.diagnostics(for: trainSet, isClassification: true)
        let trainer = Trainer(model, optimizer, loss: .crossEntropy)
        try trainer.fit(train, validation: test, epochs: epochs, batchSize: 64, seed: seed, callbacks: [
            ProgressBar(totalEpochs: epochs), diagnostics,
            CSVLogger(file: outputDirectory.appendingPathComponent("history.csv")),
            Checkpointer(directory: outputDirectory),
        ])
        let evaluation = trainer.evaluate(test)
        let names = IDXDataset.fashionMNISTClassNames
        let summary = try ClassificationSummary(evaluation: evaluation, classNames: names)
        print("\n" + summary.text)
        try saveSafetensors(model.stateDict(), to: outputDirectory.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
        try RunInsights.finish(diagnostics, in: outputDirectory)
        let learned = try ModelInsight.imageFigures(model: model, images: test.images, labels: test.labels.integers, classNames: names)
        let seconds = Date().timeIntervalSince(start)
        let reportFile = outputDirectory.appendingPathComponent("report.html")
        var report = try summary.report(title: "Fashion-MNIST subset · small CNN", summary: [
            ReportItem("Model", "2 conv blocks + linear"), ReportItem("Parameters", "\(model.parameterCount)"),
            ReportItem("Training images", "\(train.count)"), ReportItem("Epochs", "\(epochs)"),
            ReportItem("Test accuracy", String(format: "%.1f%%", 100 * summary.accuracy)),
            ReportItem("Test loss", String(format: "%.3f", evaluation.loss)),
            ReportItem("Optimizer", "Adam, lr 2e-3, batch 64"), ReportItem("Wall time", String(format: "%.0f s", seconds)),
        ], history: trainer.history, images: test.images)
        (report.diagnostics, report.dataChecks, report.learned) = (diagnostics.record, checks, learned)
        try report.write(to: reportFile)
        print(String(format: "test accuracy %.4f on %d unseen images · %.1f s in all", summary.accuracy, test.count, seconds))
        try directory.commit()
        print("report: \(directory.final.path)/report.html · the run (model, config, history, checkpoint) in \(directory.final.path)/")
        print("next: cortex evaluate --run \(output) --data fashion-mnist-subset")
    }
}
