// What the train, evaluate and predict commands share: loading a data source from command-line
// options, and the run directory's config.json that lets a trained model be rebuilt later.
import ArgumentParser
import Cortex
import CortexModels
import Foundation

/// Where examples come from.
struct DataOptions: ParsableArguments {
    @Option(help: "A built-in data set: fashion-mnist (Debian's dataset-fashion-mnist, or --data-dir) or breast-cancer (python3-sklearn).")
    var data: String?

    @Option(help: "Directory holding Fashion-MNIST's four IDX files (default /usr/share/datasets/fashion-mnist).")
    var dataDir: String?

    @Option(help: "A CSV table with a header row (scikit-learn's bundled format is detected too).")
    var csv: String?

    @Option(help: "The CSV column to predict.")
    var target: String?

    @Option(help: "classification or regression (default: classification for a categorical or integer target).")
    var task: String?

    @Option(help: "Use only the first N examples of each split (for quick runs).")
    var limit: Int?

    func validate() throws {
        guard (data == nil) != (csv == nil) else { throw ValidationError("give exactly one of --data and --csv") }
        if let data, !["fashion-mnist", "breast-cancer"].contains(data) {
            throw ValidationError("unknown --data '\(data)': use fashion-mnist or breast-cancer")
        }
        if let task, !["classification", "regression"].contains(task) {
            throw ValidationError("--task must be classification or regression, not '\(task)'")
        }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
    }
}

/// Examples ready for a model: inputs, targets, and what they mean.
struct LoadedData {
    var train: TensorDataset
    /// A separate test split when the source has one (Fashion-MNIST); tables are split by the caller.
    var test: TensorDataset?
    var classNames: [String]
    var featureNames: [String]
    var isClassification: Bool
    var isImage: Bool
    var description: String
}

extension DataOptions {
    func load() throws -> LoadedData {
        func cut(_ d: TensorDataset) -> TensorDataset {
            guard let limit, limit < d.count else { return d }
            return d.subset(Array(0..<limit))
        }
        if data == "fashion-mnist" {
            let directory = URL(fileURLWithPath: dataDir ?? IDXDataset.fashionMNISTDirectory.path)
            let train = try IDXDataset.fashionMNIST(.train, directory: directory)
            let test = try IDXDataset.fashionMNIST(.test, directory: directory)
            return LoadedData(train: cut(TensorDataset(inputs: train.images, targets: train.labels)),
                              test: cut(TensorDataset(inputs: test.images, targets: test.labels)),
                              classNames: IDXDataset.fashionMNISTClassNames, featureNames: [], isClassification: true,
                              isImage: true, description: "Fashion-MNIST from \(directory.path)")
        }
        let table: CSVTable
        let source: String
        if data == "breast-cancer" {
            table = try BreastCancer.load()
            source = BreastCancer.defaultURL.path
        } else {
            let url = URL(fileURLWithPath: csv!)
            source = url.path
            if try Self.isScikitLearnFormat(url) {
                table = try ScikitLearnCSV.read(contentsOf: url)
            } else {
                guard let target else { throw CLIError("--target is required with --csv: name the column to predict") }
                let kind: CSVTarget = task == "regression" ? .regression(target) : .classification(target)
                table = try CSVTable.read(contentsOf: url, options: CSVOptions(target: kind))
            }
        }
        guard let targets = table.target else { throw CLIError("\(source): no target column") }
        let regression = task == "regression" || targets.dtype == .float32
        return LoadedData(train: cut(TensorDataset(inputs: table.features, targets: targets)), test: nil,
                          classNames: table.classNames, featureNames: table.featureNames, isClassification: !regression,
                          isImage: false, description: "\(source): \(table.rowCount) rows, \(table.featureNames.count) features")
    }

    /// scikit-learn's bundled tables start with "<rows>,<features>,<class names…>" instead of a header.
    static func isScikitLearnFormat(_ url: URL) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw CLIError("\(url.path): cannot open the file") }
        defer { try? handle.close() }
        let head = String(decoding: handle.readData(ofLength: 256), as: UTF8.self)
        let fields = head.split(separator: "\n").first?.split(separator: ",") ?? []
        return fields.count >= 2 && Int(fields[0].trimmingCharacters(in: .whitespaces)) != nil
            && Int(fields[1].trimmingCharacters(in: .whitespaces)) != nil
    }
}

/// Everything needed to rebuild a trained model and prepare inputs for it (run/config.json).
struct RunConfig: Codable {
    var model: String            // "mlp", "cnn" or a layer spec
    var hidden: [Int]
    var inputShape: [Int]        // per example
    var outputs: Int
    var isClassification: Bool
    var classNames: [String]
    var featureNames: [String]
    var featureMean: [Float]?    // standardisation fitted on the training rows
    var featureStd: [Float]?
    var targetMean: Float?       // regression targets are standardised too
    var targetStd: Float?
    var seed: UInt64

    static func url(in directory: URL) -> URL { directory.appendingPathComponent("config.json") }

    func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: Self.url(in: directory), options: .atomic)
    }

    static func read(from directory: URL) throws -> RunConfig {
        let url = url(in: directory)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CLIError("\(url.path): not found — is \(directory.path) a directory written by `cortex train`?")
        }
        do { return try JSONDecoder().decode(RunConfig.self, from: data) } catch {
            throw CLIError("\(url.path): not a Cortex run config (\(error.localizedDescription))")
        }
    }

    /// A fresh model of this configuration.
    func makeModel() throws -> any Layer {
        switch model {
        case "mlp": return MLP(inputSize: inputShape.reduce(1, *), hiddenSizes: hidden, outputSize: outputs, seed: seed)
        case "cnn":
            guard inputShape.count == 3 else { throw CLIError("--model cnn needs image data; use mlp or a layer spec for tables") }
            return SmallConvNet(inputChannels: inputShape[0], imageSize: inputShape[1], classes: outputs, seed: seed)
        default:
            return try LayerSpec.build(model, inputShape: inputShape, seed: seed)
        }
    }

    /// The trained model stored in `directory`.
    func loadModel(from directory: URL) throws -> any Layer {
        let model = try makeModel()
        let weights = directory.appendingPathComponent("model.safetensors")
        try model.loadStateDict(loadSafetensors(weights))
        model.eval()
        return model
    }

    /// Model outputs or standardised targets back in the target's own units.
    func targetValues(_ t: Tensor) -> [Float] {
        let scale = targetStd ?? 1, shift = targetMean ?? 0
        return t.reshaped([-1]).scalars.map { $0 * scale + shift }
    }

    /// MSE, RMSE, MAE and R² in target units for a regression evaluation.
    func regressionScores(_ evaluation: Evaluation) throws -> [String: Double] {
        let truth = targetValues(evaluation.targets), predicted = targetValues(evaluation.outputs)
        return ["mse": try meanSquaredError(yTrue: truth, yPred: predicted), "rmse": try rootMeanSquaredError(yTrue: truth, yPred: predicted),
                "mae": try meanAbsoluteError(yTrue: truth, yPred: predicted), "r2": try r2Score(yTrue: truth, yPred: predicted)]
    }

    func standardizeFeatures(_ x: Tensor) -> Tensor {
        guard let featureMean, let featureStd else { return x }
        return Standardizer(mean: Tensor(featureMean), std: Tensor(featureStd))(x)
    }
}
