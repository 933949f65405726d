// What the train, evaluate and predict commands share: loading a data source, with every path and value checked
// and explained in plain words.
import Cortex
import CortexModels
import Foundation

/// Where examples come from: a built-in data set or a CSV table, and how to read it.
public struct ExampleSource: Sendable, Equatable {
    /// A built-in data set (`builtIn`).
    public var data: String?
    /// The directory of a built-in data set's files, where it is not the default.
    public var dataDir: String?
    /// A CSV table with a header row (scikit-learn's bundled format is detected too).
    public var csv: String?
    /// The CSV column to predict.
    public var target: String?
    /// What the target is (default: chosen from the target column).
    public var task: LearningTask?
    /// Missing CSV cells: error (the default), drop or mean.
    public var missing: String?
    /// Only the first N examples of each split.
    public var limit: Int?

    public static let builtIn = ["fashion-mnist", "fashion-mnist-subset", "breast-cancer", "fortunes", "bbc-news"]

    public init(data: String? = nil, dataDir: String? = nil, csv: String? = nil, target: String? = nil, task: LearningTask? = nil,
                missing: String? = nil, limit: Int? = nil) {
        (self.data, self.dataDir, self.csv, self.target, self.task, self.missing, self.limit) = (data, dataDir, csv, target, task, missing, limit)
    }

    public func validate() throws {
        // Neither is allowed here because `train --resume` reads the run's own source; `load()` requires one.
        guard data == nil || csv == nil else { throw PlainError("give one of --data and --csv, not both") }
        if let data, !Self.builtIn.contains(data) {
            throw PlainError("unknown --data '\(data)': use \(Self.builtIn.joined(separator: ", ")), or --csv FILE")
        }
        try MissingOption.validate(missing)
        if let limit, limit <= 0 { throw PlainError("--limit must be a positive number of examples, not \(limit)") }
    }

    public var missingValues: CSVOptions.MissingValues { MissingOption.policy(missing) }
}

/// `--missing`, as `train`, `evaluate` and `predict` all take it: how a CSV table's missing cells are handled.
public enum MissingOption {
    public static func validate(_ text: String?) throws {
        if let text, !["error", "drop", "mean"].contains(text) {
            throw PlainError("--missing must be error, drop or mean, not '\(text)'")
        }
    }

    public static func policy(_ text: String?) -> CSVOptions.MissingValues {
        switch text { case "drop": .dropRows; case "mean": .fillMean; default: .error }
    }
}

/// Examples ready for a model: inputs, targets, and what they mean.
public struct LoadedData {
    public var train: TensorDataset
    /// A separate test split when the source has one (Fashion-MNIST); tables are split by the caller.
    public var test: TensorDataset?
    public var classNames: [String]
    public var featureNames: [String]
    public var isClassification: Bool
    public var isImage: Bool
    public var description: String
    /// How a CSV table became features, to read later tables the same way.
    public var schema: CSVSchema?
}

extension ExampleSource {
    /// Loads the examples. With `schema` (a trained run's), a CSV table is encoded the way training did.
    public func load(schema: CSVSchema? = nil, log: (String) -> Void = { print($0) }) throws -> LoadedData {
        guard data != nil || csv != nil else { throw PlainError("give the examples with --data NAME or --csv FILE") }
        if data == "bbc-news" {
            throw PlainError("bbc-news is text: train a classifier with cortex train --data bbc-news --model minilm|lstm")
        }
        if data == "fortunes" {
            throw PlainError("fortunes is text for language models: train one with cortex train --data fortunes --model lstm|gpt, "
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
                    throw PlainError("--target '\(target)' differs from the run's target '\(schema.target ?? "none")'")
                }
                table = try CSVTable.read(contentsOf: url, schema: schema, options: CSVOptions(missing: missingValues))
                guard table.target != nil else {
                    throw PlainError("\(source) has no column '\(schema.target ?? "")', the target the model was trained to predict")
                }
            } else {
                guard let target else { throw PlainError("--target is required with --csv: name the column to predict") }
                let kind: CSVTarget = switch task {
                case .regression: .regression(target)
                case .classification: .classification(target)
                case nil: .inferred(target)
                }
                table = try CSVTable.read(contentsOf: url, options: CSVOptions(missing: missingValues, target: kind))
            }
        }
        for note in table.notes { log("note: \(note)") }
        guard let targets = table.target else { throw PlainError("\(source): no target column") }
        guard !table.featureNames.isEmpty else {
            throw PlainError("\(source): no feature columns are left besides the target '\(table.targetName ?? "")' — there is nothing to learn from")
        }
        let regression = targets.dtype == .float32
        if !regression && schema == nil && table.classNames.count < 2 {
            throw PlainError("\(source): the target '\(table.targetName ?? "")' holds a single class ('\(table.classNames.first ?? "")'); a classifier needs at least two")
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
public func requireRegularFile(_ url: URL, option: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw PlainError("\(option) \(url.path): no such file")
    }
    guard !isDirectory.boolValue else { throw PlainError("\(option) \(url.path) is a directory; give a file") }
    guard FileManager.default.isReadableFile(atPath: url.path) else { throw PlainError("\(option) \(url.path): permission denied") }
}

/// Stops with a plain message unless `url` is an existing directory.
public func requireDirectory(_ url: URL, option: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw PlainError("\(option) \(url.path): no such directory")
    }
    guard isDirectory.boolValue else { throw PlainError("\(option) \(url.path) is a file, not a directory") }
}

/// The first `bytes` bytes of a regular file (fewer if it is shorter).
public func readHead(_ url: URL, bytes: Int) throws -> Data {
    guard let handle = FileHandle(forReadingAtPath: url.path) else { throw PlainError("\(url.path): cannot open the file") }
    defer { try? handle.close() }
    do { return try handle.read(upToCount: bytes) ?? Data() } catch {
        throw PlainError("\(url.path): cannot read (\(plainDescription(error)))")
    }
}
