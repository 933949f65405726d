// A trained run's config.json: everything needed to rebuild its model, prepare inputs for it the way
// training did, and continue its training. It is a file from outside like any other, so reading it
// checks every field before a model is sized from it.
import CortexCore
import CortexData
import CortexMetrics
import Foundation

/// A config.json that cannot be used, with the field and the reason.
public struct RunConfigError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The threads and GEMM a run computed with, written into its config so that its speed can be read later.
public struct ComputeRecord: Codable, Sendable, Equatable {
    public var threads: Int
    /// "CORTEX_NUM_THREADS", or the CPUs this process might use ("8 CPUs in the affinity mask, cgroup quota 2 CPUs").
    public var threadSource: String
    /// "OpenBLAS Cooperlake", or "Cortex AVX-512 (OpenBLAS would run Prescott)".
    public var gemm: String

    public static var current: ComputeRecord {
        ComputeRecord(threads: Threads.count, threadSource: Threads.source, gemm: gemmDescription)
    }
}

/// What `cortex train` (and the demo) write beside a model so it can be evaluated, used and resumed.
public struct RunConfig: Codable, Sendable {
    public var model: ModelChoice
    /// Hidden widths of an "mlp".
    public var hidden: [Int]
    /// The shape of one example: `[features]` or `[channels, height, width]`.
    public var inputShape: [Int]
    public var outputs: Int
    public var task: LearningTask
    public var isClassification: Bool { task == .classification }
    public var classNames: [String]
    public var featureNames: [String]
    /// Standardisation fitted on the training rows (tables only).
    public var featureMean: [Float]?
    public var featureStd: [Float]?
    /// Regression targets are standardised too.
    public var targetMean: Float?
    public var targetStd: Float?
    public var seed: UInt64
    /// How CSV tables become inputs (runs trained on a CSV table).
    public var schema: CSVSchema?
    /// How the run was trained, so that `--resume` continues it as it was.
    public var training: Training?
    /// What the run computed with when it was made (for reading; a resumed run records its own machine).
    public var compute: ComputeRecord?

    /// The settings of a training run.
    public struct Training: Codable, Sendable, Equatable {
        /// "fashion-mnist", "fashion-mnist-subset", "breast-cancer" or "csv".
        public var data: String
        public var dataDir: String?
        public var csv: String?
        public var target: String?
        public var missing: String?
        public var limit: Int?
        public var optimizer: OptimizerChoice
        public var learningRate: Float
        public var batchSize: Int
        public var schedule: ScheduleChoice
        public var testFraction: Double
        public var epochs: Int

        public init(data: String, dataDir: String? = nil, csv: String? = nil, target: String? = nil, missing: String? = nil,
                    limit: Int? = nil, optimizer: OptimizerChoice, learningRate: Float, batchSize: Int, schedule: ScheduleChoice,
                    testFraction: Double, epochs: Int) {
            (self.data, self.dataDir, self.csv, self.target, self.missing, self.limit) = (data, dataDir, csv, target, missing, limit)
            (self.optimizer, self.learningRate, self.batchSize, self.schedule, self.testFraction, self.epochs) =
                (optimizer, learningRate, batchSize, schedule, testFraction, epochs)
        }
    }

    public init(model: ModelChoice, hidden: [Int], inputShape: [Int], outputs: Int, task: LearningTask, classNames: [String],
                featureNames: [String], seed: UInt64, schema: CSVSchema? = nil, training: Training? = nil) {
        (self.model, self.hidden, self.inputShape, self.outputs, self.task) = (model, hidden, inputShape, outputs, task)
        (self.classNames, self.featureNames, self.seed, self.schema, self.training) = (classNames, featureNames, seed, schema, training)
        compute = .current
    }

    enum CodingKeys: String, CodingKey {
        case model, hidden, inputShape, outputs, task, classNames, featureNames, featureMean, featureStd, targetMean, targetStd, seed,
             schema, training, compute
        /// Configs written before `task` said it as a flag.
        case isClassification
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(ModelChoice.self, forKey: .model)
        hidden = try c.decode([Int].self, forKey: .hidden)
        inputShape = try c.decode([Int].self, forKey: .inputShape)
        outputs = try c.decode(Int.self, forKey: .outputs)
        if let task = try c.decodeIfPresent(LearningTask.self, forKey: .task) {
            self.task = task
        } else {
            task = try c.decode(Bool.self, forKey: .isClassification) ? .classification : .regression
        }
        classNames = try c.decode([String].self, forKey: .classNames)
        featureNames = try c.decode([String].self, forKey: .featureNames)
        featureMean = try c.decodeIfPresent([Float].self, forKey: .featureMean)
        featureStd = try c.decodeIfPresent([Float].self, forKey: .featureStd)
        targetMean = try c.decodeIfPresent(Float.self, forKey: .targetMean)
        targetStd = try c.decodeIfPresent(Float.self, forKey: .targetStd)
        seed = try c.decode(UInt64.self, forKey: .seed)
        schema = try c.decodeIfPresent(CSVSchema.self, forKey: .schema)
        training = try c.decodeIfPresent(Training.self, forKey: .training)
        compute = try c.decodeIfPresent(ComputeRecord.self, forKey: .compute)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(hidden, forKey: .hidden)
        try c.encode(inputShape, forKey: .inputShape)
        try c.encode(outputs, forKey: .outputs)
        try c.encode(task, forKey: .task)
        try c.encode(classNames, forKey: .classNames)
        try c.encode(featureNames, forKey: .featureNames)
        try c.encodeIfPresent(featureMean, forKey: .featureMean)
        try c.encodeIfPresent(featureStd, forKey: .featureStd)
        try c.encodeIfPresent(targetMean, forKey: .targetMean)
        try c.encodeIfPresent(targetStd, forKey: .targetStd)
        try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(schema, forKey: .schema)
        try c.encodeIfPresent(training, forKey: .training)
        try c.encodeIfPresent(compute, forKey: .compute)
    }

    public static func url(in directory: URL) -> URL { directory.appendingPathComponent("config.json") }

    /// Writes `directory/config.json` atomically.
    public func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: Self.url(in: directory), options: .atomic)
    }

    /// Reads and checks `directory/config.json`.
    public static func read(from directory: URL) throws -> RunConfig {
        let url = url(in: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunConfigError("\(directory.path): no such run directory")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunConfigError("\(url.path): not found — is \(directory.path) a directory written by `cortex train` or `cortex demo`?")
        }
        do { return try decode(data) } catch let error as RunConfigError {
            throw RunConfigError("\(url.path): \(error.description)")
        }
    }

    /// Decodes and checks config bytes.
    public static func decode(_ data: Data) throws -> RunConfig {
        let config: RunConfig
        do { config = try JSONDecoder().decode(RunConfig.self, from: data) } catch {
            throw RunConfigError("not a Cortex run config (\(Self.describe(error)))")
        }
        try config.validate()
        return config
    }

    /// Checks that every field is usable: positive sizes, matching counts, finite statistics.
    public func validate() throws {
        func fail(_ message: String) -> RunConfigError { RunConfigError(message) }
        guard !inputShape.isEmpty, inputShape.count <= 3, inputShape.allSatisfy({ $0 > 0 && $0 <= 1 << 32 }) else {
            throw fail("inputShape \(inputShape) must be 1 to 3 positive sizes")
        }
        guard let inputSize = checkedProduct(inputShape) else { throw fail("inputShape \(inputShape) overflows") }
        guard outputs >= 1 && outputs <= 1 << 24 else { throw fail("outputs \(outputs) must be between 1 and 2^24") }
        guard hidden.allSatisfy({ $0 > 0 }) else { throw fail("hidden sizes \(hidden) must be positive") }
        if isClassification {
            guard classNames.isEmpty || classNames.count == outputs else {
                throw fail("\(classNames.count) class names for \(outputs) outputs")
            }
            if let classes = schema?.classNames, classes != classNames {
                throw fail("the table schema's classes differ from classNames")
            }
        } else {
            guard outputs == 1 else { throw fail("a regression model has 1 output, not \(outputs)") }
        }
        for (name, values) in [("featureMean", featureMean), ("featureStd", featureStd)] {
            guard let values else { continue }
            guard values.count == inputSize, values.allSatisfy(\.isFinite) else {
                throw fail("\(name) must hold \(inputSize) finite values, one per input feature")
            }
        }
        if let featureStd, featureStd.contains(where: { $0 <= 0 }) { throw fail("featureStd must be positive") }
        if let targetMean, !targetMean.isFinite { throw fail("targetMean \(targetMean) is not finite") }
        if let targetStd, !(targetStd.isFinite && targetStd > 0) { throw fail("targetStd \(targetStd) must be positive and finite") }
        if let schema {
            do { try schema.validate() } catch let error as DataError { throw fail(error.message) }
        }
        if let schema, schema.featureNames.count != inputSize {
            throw fail("the table schema has \(schema.featureNames.count) features but inputShape says \(inputSize)")
        }
        if let training {
            guard training.epochs > 0, training.batchSize > 0, training.learningRate.isFinite, training.learningRate > 0,
                  training.testFraction > 0 && training.testFraction < 1 else {
                throw fail("the training settings \(training) are out of range")
            }
        }
    }

    /// A fresh model of this configuration; throws for a model that cannot be built, or whose parameters
    /// would take more than `memoryLimit` bytes (default: half the machine's memory).
    public func makeModel(memoryLimit: Int? = nil) throws -> any Layer {
        var budget = ParameterBudget(limitBytes: memoryLimit)
        switch model {
        case .mlp:
            var width = checkedProduct(inputShape) ?? Int.max
            for (i, h) in (hidden + [outputs]).enumerated() {
                try budget.add(i < hidden.count ? "hidden layer \(i + 1) (\(width) → \(h))" : "the output layer (\(width) → \(h))", [[width, h], [h]])
                width = h
            }
            return MLP(inputSize: inputShape.reduce(1, *), hiddenSizes: hidden, outputSize: outputs, seed: seed)
        case .cnn:
            guard inputShape.count == 3 else { throw RunConfigError("model cnn needs image data (channels, height, width); use mlp or a layer spec for tables") }
            guard inputShape[1] == inputShape[2], inputShape[1] >= 4 else {
                throw RunConfigError("model cnn needs square images of at least 4×4, not \(inputShape[1])×\(inputShape[2])")
            }
            let side = inputShape[1] / 4
            try budget.add("model cnn", [[32, inputShape[0], 9], [64, 32, 9], [64, side, side, outputs]])
            return SmallConvNet(inputChannels: inputShape[0], imageSize: inputShape[1], classes: outputs, seed: seed)
        case .spec(let spec):
            return try LayerSpec.build(spec, inputShape: inputShape, seed: seed, memoryLimit: memoryLimit)
        }
    }

    /// The trained model stored in `directory`, in evaluation mode.
    public func loadModel(from directory: URL) throws -> any Layer {
        let model = try makeModel()
        let weights = directory.appendingPathComponent("model.safetensors")
        try model.loadStateDict(loadSafetensors(weights))
        model.eval()
        return model
    }

    /// Model outputs or standardised targets back in the target's own units.
    public func targetValues(_ t: Tensor) -> [Float] {
        let scale = targetStd ?? 1, shift = targetMean ?? 0
        return t.reshaped([-1]).scalars.map { $0 * scale + shift }
    }

    /// MSE, RMSE, MAE and R² in target units for a regression evaluation.
    public func regressionScores(_ evaluation: Evaluation) throws -> [String: Double] {
        let truth = targetValues(evaluation.targets), predicted = targetValues(evaluation.outputs)
        return ["mse": try meanSquaredError(yTrue: truth, yPred: predicted), "rmse": try rootMeanSquaredError(yTrue: truth, yPred: predicted),
                "mae": try meanAbsoluteError(yTrue: truth, yPred: predicted), "r2": try r2Score(yTrue: truth, yPred: predicted)]
    }

    public func standardizeFeatures(_ x: Tensor) -> Tensor {
        guard let featureMean, let featureStd else { return x }
        return Standardizer(mean: Tensor(featureMean), std: Tensor(featureStd))(x)
    }

    /// A decoding error in words: which field, and what was wrong with it.
    static func describe(_ error: Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, _)?: return "field '\(key.stringValue)' is missing"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            let field = path(context)
            return (field.isEmpty ? "" : "field '\(field)': ") + context.debugDescription
        default: return "\(error)"
        }
    }
}
