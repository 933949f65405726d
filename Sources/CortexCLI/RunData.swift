// What the train, evaluate and predict commands share: loading a data source from command-line
// options, with every path and value checked and explained in plain words.
import ArgumentParser
import Cortex
import CortexModels
import Foundation

/// Where examples come from.
struct DataOptions: ParsableArguments {
    @Option(help: "A built-in data set: fashion-mnist (Debian's dataset-fashion-mnist, or --data-dir), fashion-mnist-subset (the 3000 + 1000 images bundled with cortex), breast-cancer (python3-sklearn) or fortunes (Debian's fortunes, for --model lstm|gpt language models).")
    var data: String?

    @Option(help: "Directory holding Fashion-MNIST's four IDX files (default /usr/share/datasets/fashion-mnist).")
    var dataDir: String?

    @Option(help: "A CSV table with a header row (scikit-learn's bundled format is detected too).")
    var csv: String?

    @Option(help: "The CSV column to predict (evaluate: default the run's).")
    var target: String?

    @Option(help: "classification or regression (default: chosen from the target column — text or at most 20 distinct whole numbers is classification — and printed).")
    var task: String?

    @Option(help: "Missing cells in a CSV table (empty, NA, NaN, ?, nan, inf): error (the default) lists them, drop leaves out their rows, mean fills them with the column mean or most frequent category.")
    var missing: String?

    @Option(parsing: .unconditional, help: "Use only the first N examples of each split (for quick runs).")
    var limit: Int?

    static let builtIn = ["fashion-mnist", "fashion-mnist-subset", "breast-cancer", "fortunes", "bbc-news"]

    func validate() throws {
        // Neither is allowed here because `train --resume` reads the run's own source; `load()` requires one.
        guard data == nil || csv == nil else { throw ValidationError("give one of --data and --csv, not both") }
        if let data, !Self.builtIn.contains(data) {
            throw ValidationError("unknown --data '\(data)': use \(Self.builtIn.joined(separator: ", ")), or --csv FILE")
        }
        if let task, !["classification", "regression"].contains(task) {
            throw ValidationError("--task must be classification or regression, not '\(task)'")
        }
        try MissingOption.validate(missing)
        if let limit, limit <= 0 { throw ValidationError("--limit must be a positive number of examples, not \(limit)") }
    }

    var missingValues: CSVOptions.MissingValues { MissingOption.policy(missing) }
}

/// `--missing`, as `train`, `evaluate` and `predict` all take it: how a CSV table's missing cells are handled.
enum MissingOption {
    static func validate(_ text: String?) throws {
        if let text, !["error", "drop", "mean"].contains(text) {
            throw ValidationError("--missing must be error, drop or mean, not '\(text)'")
        }
    }

    static func policy(_ text: String?) -> CSVOptions.MissingValues {
        switch text { case "drop": .dropRows; case "mean": .fillMean; default: .error }
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
    /// How a CSV table became features, to read later tables the same way.
    var schema: CSVSchema?
}

extension DataOptions {
    /// Loads the examples. With `schema` (a trained run's), a CSV table is encoded the way training did.
    func load(schema: CSVSchema? = nil) throws -> LoadedData {
        guard data != nil || csv != nil else { throw CLIError("give the examples with --data NAME or --csv FILE") }
        if data == "bbc-news" {
            throw CLIError("bbc-news is text: train a classifier with cortex train --data bbc-news --model minilm|lstm")
        }
        if data == "fortunes" {
            throw CLIError("fortunes is text for language models: train one with cortex train --data fortunes --model lstm|gpt, "
                           + "and continue text with cortex generate --run DIR")
        }
        func cut(_ d: TensorDataset) -> TensorDataset {
            guard let limit, limit < d.count else { return d }
            return d.subset(Array(0..<limit))
        }
        if data == "fashion-mnist" || data == "fashion-mnist-subset" {
            let bundled = data == "fashion-mnist-subset"
            let train: IDXDataset, test: IDXDataset, source: String
            if bundled {
                (train, test, source) = (try bundledFashionSubset(.train), try bundledFashionSubset(.test), "the bundled Fashion-MNIST subset")
            } else {
                let directory = URL(fileURLWithPath: dataDir ?? IDXDataset.fashionMNISTDirectory.path)
                try requireDirectory(directory, option: "--data-dir")
                (train, test) = (try IDXDataset.fashionMNIST(.train, directory: directory), try IDXDataset.fashionMNIST(.test, directory: directory))
                source = "Fashion-MNIST from \(directory.path)"
            }
            return LoadedData(train: cut(TensorDataset(inputs: train.images, targets: train.labels)),
                              test: cut(TensorDataset(inputs: test.images, targets: test.labels)),
                              classNames: IDXDataset.fashionMNISTClassNames, featureNames: [], isClassification: true,
                              isImage: true, description: source)
        }
        let table: CSVTable
        let source: String
        if data == "breast-cancer" {
            table = try BreastCancer.load()
            source = BreastCancer.defaultURL.path
        } else {
            let url = URL(fileURLWithPath: csv!)
            try requireRegularFile(url, option: "--csv")
            source = url.path
            if try Self.isScikitLearnFormat(url) {
                table = try ScikitLearnCSV.read(contentsOf: url)
            } else if let schema {
                if let target, target != schema.target {
                    throw CLIError("--target '\(target)' differs from the run's target '\(schema.target ?? "none")'")
                }
                table = try CSVTable.read(contentsOf: url, schema: schema, options: CSVOptions(missing: missingValues))
                guard table.target != nil else {
                    throw CLIError("\(source) has no column '\(schema.target ?? "")', the target the model was trained to predict")
                }
            } else {
                guard let target else { throw CLIError("--target is required with --csv: name the column to predict") }
                let kind: CSVTarget = switch task {
                case "regression": .regression(target)
                case "classification": .classification(target)
                default: .inferred(target)
                }
                table = try CSVTable.read(contentsOf: url, options: CSVOptions(missing: missingValues, target: kind))
            }
        }
        for note in table.notes { print("note: \(note)") }
        guard let targets = table.target else { throw CLIError("\(source): no target column") }
        guard !table.featureNames.isEmpty else {
            throw CLIError("\(source): no feature columns are left besides the target '\(table.targetName ?? "")' — there is nothing to learn from")
        }
        let regression = targets.dtype == .float32
        if !regression && schema == nil && table.classNames.count < 2 {
            throw CLIError("\(source): the target '\(table.targetName ?? "")' holds a single class ('\(table.classNames.first ?? "")'); a classifier needs at least two")
        }
        return LoadedData(train: cut(TensorDataset(inputs: table.features, targets: targets)), test: nil,
                          classNames: table.classNames, featureNames: table.featureNames, isClassification: !regression,
                          isImage: false, description: "\(source): \(table.rowCount) rows, \(table.featureNames.count) features",
                          schema: table.schema)
    }

    /// scikit-learn's bundled tables start with "<rows>,<features>,<class names…>" instead of a header.
    static func isScikitLearnFormat(_ url: URL) throws -> Bool {
        let head = try readHead(url, bytes: 256)
        let fields = String(decoding: head, as: UTF8.self).split(separator: "\n").first?.split(separator: ",") ?? []
        return fields.count >= 2 && Int(fields[0].trimmingCharacters(in: .whitespaces)) != nil
            && Int(fields[1].trimmingCharacters(in: .whitespaces)) != nil
    }
}

/// Stops with a plain message unless `url` is an existing regular file (not a directory).
func requireRegularFile(_ url: URL, option: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw CLIError("\(option) \(url.path): no such file")
    }
    guard !isDirectory.boolValue else { throw CLIError("\(option) \(url.path) is a directory; give a file") }
    guard FileManager.default.isReadableFile(atPath: url.path) else { throw CLIError("\(option) \(url.path): permission denied") }
}

/// Stops with a plain message unless `url` is an existing directory.
func requireDirectory(_ url: URL, option: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw CLIError("\(option) \(url.path): no such directory")
    }
    guard isDirectory.boolValue else { throw CLIError("\(option) \(url.path) is a file, not a directory") }
}

/// The first `bytes` bytes of a regular file (fewer if it is shorter).
func readHead(_ url: URL, bytes: Int) throws -> Data {
    guard let handle = FileHandle(forReadingAtPath: url.path) else { throw CLIError("\(url.path): cannot open the file") }
    defer { try? handle.close() }
    do { return try handle.read(upToCount: bytes) ?? Data() } catch {
        throw CLIError("\(url.path): cannot read (\(plainDescription(error)))")
    }
}
