// `cortex train`: train a built-in or spec'd model on Fashion-MNIST or a CSV table, save it with a
// report — or estimate its quality with k-fold cross-validation.
import ArgumentParser
import Cortex
import CortexModels
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model on Fashion-MNIST or a CSV table.",
        discussion: "Layer specs: \(LayerSpec.help)")

    @OptionGroup var source: DataOptions

    @Option(help: "mlp, cnn, or a layer spec such as \"linear(64), relu, linear(2)\".")
    var model = "mlp"

    @Option(help: "Hidden layer widths of the MLP, comma-separated.")
    var hidden = "128,64"

    @Option(help: "Training epochs.")
    var epochs = 10

    @Option(help: "Examples per batch.")
    var batchSize = 64

    @Option(help: "adam, adamw, sgd, rmsprop or adagrad.")
    var optimizer = "adam"

    @Option(name: [.customLong("lr"), .customLong("learning-rate")], help: "Learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Learning-rate schedule: none, cosine (to 0 over the run) or step (halve every third of the run).")
    var schedule = "none"

    @Option(help: "Random seed for weights, splits and shuffling.")
    var seed: UInt64 = 0

    @Option(help: "Fraction of a table held out for testing (tables have no test split of their own).")
    var testFraction: Double = 0.2

    @Option(help: "Run directory for the model, config, history and report.")
    var output = "runs/latest"

    @Option(help: "Cross-validate with K (stratified for classification) folds instead of training one model.")
    var cv: Int?

    func validate() throws {
        guard epochs > 0 && epochs <= 10_000 else { throw ValidationError("--epochs must be between 1 and 10000") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard ["adam", "adamw", "sgd", "rmsprop", "adagrad"].contains(optimizer) else {
            throw ValidationError("unknown --optimizer '\(optimizer)': use adam, adamw, sgd, rmsprop or adagrad")
        }
        guard ["none", "cosine", "step"].contains(schedule) else {
            throw ValidationError("unknown --schedule '\(schedule)': use none, cosine or step")
        }
        guard testFraction > 0 && testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1)") }
        if let cv, cv < 2 { throw ValidationError("--cv needs at least 2 folds") }
        guard (try? hiddenSizes()) != nil else { throw ValidationError("--hidden must be positive integers separated by commas") }
    }

    func hiddenSizes() throws -> [Int] {
        let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { throw CLIError("bad --hidden '\(hidden)'") }
        return sizes.map { $0! }
    }

    func run() throws {
        let data = try source.load()
        print("data: \(data.description)")
        if let cv { return try crossValidate(data, folds: cv) }
        var train = data.train, test = data.test
        if test == nil {
            let split = trainValidationTestSplit(count: train.count, validationFraction: 0, testFraction: testFraction,
                                                 stratifyBy: data.isClassification ? train.labels : nil, seed: seed)
            test = train.subset(split.test)
            train = train.subset(split.train)
        }
        let directory = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (config, trainer, evaluation, seconds) = try fit(data, train: train, test: test!, logDirectory: directory)
        try config.write(to: directory)
        try saveSafetensors(trainer.model.stateDict(), to: directory.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
        try report(data, config: config, trainer: trainer, evaluation: evaluation, trainCount: train.count, test: test!,
                   seconds: seconds, directory: directory)
        print("model, config, history and report in \(directory.path)/")
    }

    /// Trains one model on `train` and evaluates it on `test`; features (and regression targets)
    /// are standardised with statistics of `train` only.
    func fit(_ data: LoadedData, train: TensorDataset, test: TensorDataset, logDirectory: URL?, quiet: Bool = false)
        throws -> (RunConfig, Trainer, Evaluation, Double) {
        let start = Date()
        var config = RunConfig(model: model, hidden: try hiddenSizes(), inputShape: Array(train.inputs.shape.dropFirst()),
                               outputs: data.isClassification ? max(data.classNames.count, 2) : 1,
                               isClassification: data.isClassification, classNames: data.classNames, featureNames: data.featureNames,
                               seed: seed)
        var trainSet = train, testSet = test
        if !data.isImage {
            let scaler = Standardizer(fitting: train.inputs)
            config.featureMean = scaler.mean.scalars
            config.featureStd = scaler.std.scalars
            trainSet = TensorDataset(inputs: scaler(train.inputs), targets: train.targets)
            testSet = TensorDataset(inputs: scaler(test.inputs), targets: test.targets)
        }
        if !data.isClassification {
            let y = Standardizer(fitting: train.targets.reshaped([-1, 1]))
            config.targetMean = y.mean.item()
            config.targetStd = y.std.item()
            trainSet = TensorDataset(inputs: trainSet.inputs, targets: y(train.targets.reshaped([-1, 1])).reshaped([-1]))
            testSet = TensorDataset(inputs: testSet.inputs, targets: y(test.targets.reshaped([-1, 1])).reshaped([-1]))
        }
        manualSeed(seed)
        let network = try config.makeModel()
        let parameters = network.parameters()
        let optimizer: Optimizer = switch self.optimizer {
        case "sgd": SGD(parameters, learningRate: learningRate, momentum: 0.9)
        case "adamw": AdamW(parameters, learningRate: learningRate)
        case "rmsprop": RMSprop(parameters, learningRate: learningRate)
        case "adagrad": Adagrad(parameters, learningRate: learningRate)
        default: Adam(parameters, learningRate: learningRate)
        }
        let trainer = Trainer(network, optimizer, loss: data.isClassification ? .crossEntropy : .mse)
        var callbacks: [any Callback] = quiet ? [] : [ProgressBar(totalEpochs: epochs)]
        var stateful: [any Callback] = []
        switch schedule {
        case "cosine": stateful.append(ScheduleStepper(CosineAnnealingLR(optimizer, tMax: epochs)))
        case "step": stateful.append(ScheduleStepper(StepLR(optimizer, stepSize: max(1, epochs / 3), gamma: 0.5)))
        default: break
        }
        callbacks += stateful
        if let logDirectory {
            callbacks.append(CSVLogger(file: logDirectory.appendingPathComponent("history.csv")))
            callbacks.append(Checkpointer(directory: logDirectory, saving: stateful))
        }
        if !quiet { print("model: \(model) with \(network.parameterCount) parameters; \(self.optimizer), lr \(learningRate), batch \(batchSize)") }
        try trainer.fit(trainSet, validation: testSet, epochs: epochs, batchSize: batchSize, seed: seed, callbacks: callbacks)
        return (config, trainer, trainer.evaluate(testSet), Date().timeIntervalSince(start))
    }

    func crossValidate(_ data: LoadedData, folds k: Int) throws {
        let all = data.train
        let folds = data.isClassification ? stratifiedKFold(labels: all.labels, k: k, seed: seed) : kFold(count: all.count, k: k, seed: seed)
        print("\(k)-fold \(data.isClassification ? "stratified " : "")cross-validation, \(epochs) epochs per fold")
        let summary = try Cortex.crossValidate(folds: k) { i in
            let fold = folds[i]
            let (config, _, evaluation, seconds) = try fit(data, train: all.subset(fold.train), test: all.subset(fold.test),
                                                           logDirectory: nil, quiet: true)
            let scores = try foldScores(evaluation, config: config)
            print("fold \(i + 1)/\(k): " + scores.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }
                .joined(separator: "  ") + String(format: "  (%.1f s)", seconds))
            return scores
        }
        print("\n" + summary.table(digits: 4))
    }

    /// Accuracy and macro F1 for classification; MSE, RMSE, MAE and R² (in target units) for regression.
    func foldScores(_ evaluation: Evaluation, config: RunConfig) throws -> [String: Double] {
        if config.isClassification {
            let truth = evaluation.targets.integers, predicted = evaluation.outputs.argmax(dim: 1).integers
            return ["accuracy": try accuracy(yTrue: truth, yPred: predicted),
                    "f1_macro": try f1Score(yTrue: truth, yPred: predicted, average: .macro)]
        }
        return try config.regressionScores(evaluation)
    }

    func report(_ data: LoadedData, config: RunConfig, trainer: Trainer, evaluation: Evaluation, trainCount: Int, test: TensorDataset,
                seconds: Double, directory: URL) throws {
        let items = [ReportItem("Model", model), ReportItem("Parameters", "\(trainer.model.parameterCount)"),
                     ReportItem("Training examples", "\(trainCount)"),
                     ReportItem("Epochs", "\(epochs)"), ReportItem("Optimizer", "\(optimizer), lr \(learningRate), batch \(batchSize)"),
                     ReportItem("Wall time", String(format: "%.0f s", seconds))]
        let reportFile = directory.appendingPathComponent("report.html")
        if config.isClassification {
            let names = data.classNames.isEmpty ? (0..<config.outputs).map(String.init) : data.classNames
            let summary = try ClassificationSummary(evaluation: evaluation, classNames: names)
            print("\n" + summary.text)
            print(String(format: "test accuracy %.4f on %d held-out examples", summary.accuracy, test.count))
            try summary.report(title: "\(data.description) · \(model)",
                               summary: items + [ReportItem("Test accuracy", String(format: "%.1f%%", 100 * summary.accuracy))],
                               history: trainer.history, images: data.isImage ? test.inputs : Tensor.zeros([0, 1, 1]))
                .write(to: reportFile)
        } else {
            let scores = try foldScores(evaluation, config: config)
            let line = scores.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: "  ")
            print("test: " + line)
            try RunReport(title: "\(data.description) · \(model)",
                          summary: items + scores.sorted { $0.key < $1.key }.map { ReportItem($0.key.uppercased(), String(format: "%.4f", $0.value)) },
                          history: trainer.history).write(to: reportFile)
        }
        print("report: \(reportFile.path)")
    }
}
