// `cortex evaluate`: score a trained run on labelled data.
import ArgumentParser
import Cortex
import CortexRuns
import CortexModels
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate a trained run on labelled data (Fashion-MNIST's test split or a table).")

    @Option(name: .customLong("run"), help: "The run directory written by `cortex train` or `cortex demo`.")
    var runDirectory: String

    @OptionGroup var source: DataOptions

    func run() throws {
        let directory = URL(fileURLWithPath: runDirectory)
        let config = try RunConfig.read(from: directory)
        let model = try config.loadModel(from: directory)
        var options = source.exampleSource
        if options.task == nil { options.task = config.task }
        let data = try options.load(schema: config.schema)
        let examples = data.test ?? data.train
        guard Array(examples.inputs.shape.dropFirst()) == config.inputShape else {
            throw PlainError("the data's examples have shape \(Array(examples.inputs.shape.dropFirst())) but the model expects \(config.inputShape)")
        }
        guard data.isClassification == config.isClassification else {
            throw PlainError("the run is a \(config.isClassification ? "classifier" : "regression model") but the data's target is "
                           + (data.isClassification ? "a class" : "a number"))
        }
        if config.isClassification {
            // Labels must be classes the model has: a label it never saw is not the first class.
            if config.schema == nil, let bad = examples.labels.first(where: { $0 < 0 || $0 >= config.outputs }) {
                throw PlainError("the data holds label \(bad), but the model knows \(config.outputs) classes (0 to \(config.outputs - 1))")
            }
        }
        var targets = examples.targets
        if let mean = config.targetMean, let std = config.targetStd { targets = (targets - mean) / std }
        let trainer = Trainer(model, SGD(model.parameters(), learningRate: 0), loss: config.isClassification ? .crossEntropy : .mse)
        let evaluation = trainer.evaluate(TensorDataset(inputs: config.standardizeFeatures(examples.inputs), targets: targets))
        print("data: \(data.description) — \(examples.count) examples")
        if config.isClassification {
            let names = config.classNames.isEmpty ? (0..<config.outputs).map(String.init) : config.classNames
            let summary = try ClassificationSummary(evaluation: evaluation, classNames: names)
            print("\n" + summary.text)
            print(String(format: "accuracy %.4f", summary.accuracy))
        } else {
            let scores = try config.regressionScores(evaluation)
            print(String(format: "mse %.4f  rmse %.4f  mae %.4f  r2 %.4f", scores["mse"]!, scores["rmse"]!, scores["mae"]!, scores["r2"]!))
        }
    }
}
