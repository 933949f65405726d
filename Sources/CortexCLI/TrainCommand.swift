// `cortex train`: train a built-in or spec'd model on Fashion-MNIST or a CSV table, save it with a
// report — or estimate its quality with k-fold cross-validation. A run is trained in a staging
// directory and swapped into --output when it finishes; --resume continues a killed or finished run.
import ArgumentParser
import Cortex
import CortexDistributed
import CortexModels
import CortexReport
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model on Fashion-MNIST or a CSV table.",
        discussion: "Layer specs: \(LayerSpec.help)")

    @OptionGroup var source: DataOptions

    @Option(help: "mlp, cnn, or a layer spec such as \"linear(64), relu, linear(2)\" (default mlp); lstm or gpt with --data fortunes; ae, dae, vae, cvae, gan, cgan, rbm, dbn or ssl (generative models and representation learners) with --data fashion-mnist.")
    var model: String?

    @Option(help: "Hidden layer widths of the MLP, comma-separated (default 128,64); for ae/vae their layers, for rbm its hidden units, for dbn its layers above the image.")
    var hidden: String?

    @Option(parsing: .unconditional, help: "Code size of ae/dae (default 32), vae/cvae (default 16) and ssl (default 64); noise size of gan/cgan (default 64).")
    var latent: Int?

    @Option(parsing: .unconditional, help: "Labelled training images the ssl run's linear probe may use (default 600, 1% of Fashion-MNIST).")
    var labels: Int?

    // Numbers are parsed unconditionally so that "--epochs -1" reaches validation and its message,
    // instead of being read as an unknown flag.
    @Option(parsing: .unconditional, help: "Training epochs (default 10; with --resume, the new total).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Examples per batch (default 64).")
    var batchSize: Int?

    @Option(help: "The optimiser (default adam; sgd has momentum 0.9).")
    var optimizer: OptimizerChoice?

    @Option(name: [.customLong("lr"), .customLong("learning-rate")], parsing: .unconditional, help: "Learning rate (default 0.001).")
    var learningRate: Float?

    @Option(help: "Learning-rate schedule (default none): cosine anneals to 0 over the run, step halves the rate every third of it.")
    var schedule: ScheduleChoice?

    @Option(parsing: .unconditional, help: "Random seed for weights, splits and shuffling (default 0).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Fraction of a table held out for testing (default 0.2; tables have no test split of their own).")
    var testFraction: Double?

    @Option(help: "Run directory for the model, config, history, checkpoint and report.")
    var output = "runs/latest"

    @Flag(help: "Continue the run in --output from its last checkpoint (an unfinished run first) with its own settings; --epochs sets the new total.")
    var resume = false

    @Flag(help: "Replace the run already in --output (it is kept until the new run has finished).")
    var overwrite = false

    @Option(parsing: .unconditional, help: "Cross-validate with K (stratified for classification) folds instead of training one model.")
    var cv: Int?

    @Flag(help: "Under mpirun: batch norms normalise with the statistics of the whole global batch (SyncBatchNorm), so the run equals one process at that batch; by default, as in PyTorch, each process uses its own batch's. Alone it changes nothing.")
    var syncBatchNorm = false

    @Option(name: .customLong("bucket-kb"), parsing: .unconditional, help: "Under mpirun: gradient KiB gathered into one all-reduce (default 256; a tensor is never split). Smaller buckets start sooner while backward runs, larger ones pay network latency less often; 0 sends the whole model at once after backward.")
    var bucketKB: Int?

    func validate() throws {
        if let bucketKB, bucketKB < 0 { throw ValidationError("--bucket-kb must be 0 or more, not \(bucketKB)") }
        if let epochs { guard epochs >= 1 && epochs <= 10_000 else { throw ValidationError("--epochs must be between 1 and 10000, not \(epochs)") } }
        if let batchSize { guard batchSize >= 1 && batchSize <= 1 << 20 else { throw ValidationError("--batch-size must be between 1 and 1048576, not \(batchSize)") } }
        if let learningRate {
            guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--lr must be a positive number, not \(learningRate)") }
        }
        if let testFraction { guard testFraction > 0 && testFraction < 1 else { throw ValidationError("--test-fraction must be between 0 and 1, not \(testFraction)") } }
        if let cv, cv < 2 { throw ValidationError("--cv needs at least 2 folds, not \(cv)") }
        if let latent, latent < 1 || latent > 4096 { throw ValidationError("--latent must be between 1 and 4096, not \(latent)") }
        if let labels, labels < 10 { throw ValidationError("--labels must be at least 10, not \(labels)") }
        if let hidden, (try? Self.hiddenSizes(hidden)) == nil {
            throw ValidationError("--hidden must be positive integers separated by commas, not '\(hidden)'")
        }
        if !resume && source.data == nil && source.csv == nil {
            throw ValidationError("give the examples with --data NAME or --csv FILE (only --resume reads the run's own)")
        }
        if resume && overwrite { throw ValidationError("--resume and --overwrite cannot be used together") }
        if cv != nil && (resume || overwrite) { throw ValidationError("--cv writes no run directory; it takes neither --resume nor --overwrite") }
    }

    static func hiddenSizes(_ text: String) throws -> [Int] {
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { throw CLIError("bad --hidden '\(text)'") }
        return sizes.map { $0! }
    }

    /// The settings of this run: the options given, else (resuming) the run's own, else the defaults.
    struct Settings {
        var model: String, hidden: [Int], seed: UInt64
        var training: RunConfig.Training
    }

    func settings(resuming saved: RunConfig?) throws -> Settings {
        let old = saved?.training
        if let saved, let old {
            // A resumed run keeps what shaped it; only the number of epochs may grow.
            var conflicts: [String] = []
            if let model, model != saved.model { conflicts.append("--model \(model) (the run's: \(saved.model))") }
            if let hidden, try Self.hiddenSizes(hidden) != saved.hidden { conflicts.append("--hidden \(hidden)") }
            if let seed, seed != saved.seed { conflicts.append("--seed \(seed) (the run's: \(saved.seed))") }
            if let optimizer, optimizer != old.optimizer { conflicts.append("--optimizer \(optimizer) (the run's: \(old.optimizer))") }
            if let learningRate, learningRate != old.learningRate { conflicts.append("--lr \(learningRate) (the run's: \(old.learningRate))") }
            if let batchSize, batchSize != old.batchSize { conflicts.append("--batch-size \(batchSize) (the run's: \(old.batchSize))") }
            if let schedule, schedule != old.schedule { conflicts.append("--schedule \(schedule) (the run's: \(old.schedule))") }
            if let testFraction, testFraction != old.testFraction { conflicts.append("--test-fraction \(testFraction)") }
            if source.data != nil && source.data != old.data || source.csv != nil && source.csv != old.csv {
                conflicts.append("a different data source (the run's: \(old.csv ?? old.data))")
            }
            guard conflicts.isEmpty else {
                throw CLIError("--resume continues the run with its own settings, but these differ: \(conflicts.joined(separator: "; ")); "
                               + "start a new run with --overwrite or another --output instead")
            }
        }
        let data = source.csv != nil ? "csv" : (source.data ?? old?.data ?? "")
        return Settings(
            model: model ?? saved?.model ?? "mlp", hidden: try hidden.map(Self.hiddenSizes) ?? saved?.hidden ?? [128, 64],
            seed: seed ?? saved?.seed ?? 0,
            training: RunConfig.Training(
                data: data, dataDir: source.dataDir ?? old?.dataDir, csv: source.csv ?? old?.csv, target: source.target ?? old?.target,
                missing: source.missing ?? old?.missing, limit: source.limit ?? old?.limit,
                optimizer: optimizer ?? old?.optimizer ?? .adam, learningRate: learningRate ?? old?.learningRate ?? 1e-3,
                batchSize: batchSize ?? old?.batchSize ?? 64, schedule: schedule ?? old?.schedule ?? ScheduleChoice.none,
                testFraction: testFraction ?? old?.testFraction ?? 0.2, epochs: epochs ?? old?.epochs ?? 10))
    }

    func run() throws {
        if ProcessGroup.launchedByMPI {
            let generative = model.flatMap(GenerativeKind.init(rawValue:)) != nil || (model == nil && resume && (try? RunDirectory(output).savedGenerativeKind()) != nil)
            if generative || source.data == "bbc-news" || cv != nil {
                throw CLIError("under mpirun, cortex train runs data-parallel classifiers and regressors (mlp, cnn, layer specs) "
                               + "without --cv, and the fortunes language models; run this one without mpirun")
            }
        }
        if let kind = model.flatMap(GenerativeKind.init(rawValue:)) { return try trainGenerative(kind) }
        if model == nil && resume, let kind = try RunDirectory(output).savedGenerativeKind() { return try trainGenerative(kind) }
        if source.data == "fortunes" { return try trainLanguageModel() }
        if source.data == "bbc-news" { return try trainTextClassifier() }
        if let cv {
            let settings = try settings(resuming: nil)
            let data = try source.load()
            print("data: \(data.description)")
            return try crossValidate(data, folds: cv, settings: settings)
        }
        // Under mpirun: data-parallel training. Rank 0 does everything a lone run does; the others train their
        // shards and write nothing.
        let collective = try dataParallel()
        if let collective {
            if collective.rank != 0 { return try trainAsReplica(collective) }
            print("data-parallel: \(collective.size) processes, each on its share of every global batch"
                  + (syncBatchNorm ? "; batch norms synchronised" : ""))
        }
        let directory = RunDirectory(output)
        let (resumeFrom, unfinished) = try directory.prepareStaging(resume: resume, overwrite: overwrite)
        // The other ranks read the run being resumed from rank 0's staging directory once it is in place.
        try collective?.group.barrier()
        let settings: Settings, data: LoadedData
        do {
            (settings, data) = try settingsAndData(resumingFrom: resumeFrom)
        } catch {
            // Nothing trained: leave no staging directory behind, unless it is an earlier unfinished run.
            if !unfinished { directory.discardStaging() }
            throw error
        }
        print("data: \(data.description)")
        do {
            try train(data, settings: settings, in: directory.staging, resumeFrom: resumeFrom, collective: collective)
        } catch {
            var message = error is CLIError ? "\(error)" : plainDescription(error)
            if resumeFrom != nil || overwrite { message += ". The run in \(directory.final.path) is unchanged" }
            if directory.keepIfResumable() {
                message += ". The unfinished run is in \(directory.staging.path); --resume continues it from its last checkpoint"
            }
            throw CLIError(message)
        }
        try directory.commit()
        print("report: \(directory.final.appendingPathComponent("report.html").path)")
        print("model, config, history and checkpoint in \(directory.final.path)/")
    }

    /// Under mpirun with more than one process, the data-parallel collective this run trains with; nil alone.
    func dataParallel() throws -> DataParallel? {
        let bucketBytes = bucketKB.map { $0 == 0 ? Int.max : $0 * 1024 } ?? 256 << 10
        guard let group = try ProcessGroup.world(), group.size > 1 else { return nil }
        return try DataParallel(group, bucketBytes: bucketBytes)
    }

    /// The settings and data of a new run, or of the run in `resumeFrom` (whose own data source is used when none
    /// is named again).
    func settingsAndData(resumingFrom resumeFrom: URL?) throws -> (Settings, LoadedData) {
        let saved = try resumeFrom.map { try RunConfig.read(from: $0) }
        if resume && saved?.training == nil { throw CLIError("the run in \(output) has no training settings to resume with") }
        var options = source
        if let old = saved?.training, source.data == nil && source.csv == nil {
            // Resuming without naming the data again: the run's own source.
            if old.data == "csv" { options.csv = old.csv } else { options.data = old.data }
            options.dataDir = options.dataDir ?? old.dataDir
            options.target = options.target ?? old.target
            options.missing = options.missing ?? old.missing
            options.limit = options.limit ?? old.limit
            if let saved { options.task = saved.isClassification ? "classification" : "regression" }
        }
        return (try self.settings(resuming: saved), try options.load())
    }

    /// A replica other than rank 0 under mpirun: the same data, split and model, its shard of every batch, and nothing
    /// written or printed.
    /// With --resume, every replica loads the checkpoint rank 0 put in the staging directory (one machine, or a
    /// shared file system as clusters have).
    func trainAsReplica(_ collective: DataParallel) throws {
        try collective.group.barrier()   // rank 0 has prepared the run directory
        let checkpoint = resume ? RunDirectory(output).staging : nil
        let (settings, data) = try settingsAndData(resumingFrom: checkpoint)
        let (train, test) = try heldOut(data, settings: settings)
        _ = try fit(data, train: train, test: test, settings: settings, logDirectory: nil, quiet: true, collective: collective,
                    checkpointToResume: checkpoint?.appendingPathComponent("checkpoint.safetensors"))
    }

    /// The training examples and the test ones: the data's own test split, else a stratified held-out fraction.
    func heldOut(_ data: LoadedData, settings: Settings) throws -> (TensorDataset, TensorDataset) {
        var train = data.train, test = data.test
        if test == nil {
            let split = trainValidationTestSplit(count: train.count, validationFraction: 0, testFraction: settings.training.testFraction,
                                                 stratifyBy: data.isClassification ? train.labels : nil, seed: settings.seed)
            guard !split.train.isEmpty && !split.test.isEmpty else {
                throw CLIError("\(train.count) examples are too few to hold out a test fraction of \(settings.training.testFraction)")
            }
            test = train.subset(split.test)
            train = train.subset(split.train)
        }
        return (train, test!)
    }

    func train(_ data: LoadedData, settings: Settings, in directory: URL, resumeFrom: URL?, collective: DataParallel? = nil) throws {
        let (train, test) = try heldOut(data, settings: settings)
        let checks = RunInsights.dataChecks(train: train, test: test, isImage: data.isImage, isClassification: data.isClassification,
                                            classNames: data.classNames, featureNames: data.featureNames)
        let diagnostics = TrainingDiagnostics()
        let (config, trainer, evaluation, seconds) = try fit(data, train: train, test: test, settings: settings,
                                                             logDirectory: directory, resume: resumeFrom != nil, diagnostics: diagnostics,
                                                             collective: collective)
        try config.write(to: directory)
        try saveSafetensors(trainer.model.stateDict(), to: directory.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
        try RunInsights.finish(diagnostics, in: directory)
        try report(data, config: config, settings: settings, trainer: trainer, evaluation: evaluation, trainCount: train.count,
                   test: test, seconds: seconds, directory: directory, diagnostics: diagnostics.record, dataChecks: checks)
    }

    /// Trains one model on `train` and evaluates it on `test`; features (and regression targets)
    /// are standardised with statistics of `train` only.
    /// `diagnostics`, when given, is fed the standardised training inputs as its probe and added to the callbacks.
    /// `collective`: train as one of several data-parallel replicas (`--batch-size` is then per replica).
    func fit(_ data: LoadedData, train: TensorDataset, test: TensorDataset, settings: Settings, logDirectory: URL?,
             resume: Bool = false, quiet: Bool = false, diagnostics: TrainingDiagnostics? = nil,
             collective: DataParallel? = nil, checkpointToResume: URL? = nil) throws -> (RunConfig, Trainer, Evaluation, Double) {
        let start = Date()
        let options = settings.training
        var config = RunConfig(model: settings.model, hidden: settings.hidden, inputShape: Array(train.inputs.shape.dropFirst()),
                               outputs: data.isClassification ? max(data.classNames.count, 2) : 1,
                               isClassification: data.isClassification, classNames: data.classNames, featureNames: data.featureNames,
                               seed: settings.seed, schema: data.schema, training: options)
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
        try config.validate()
        manualSeed(settings.seed)
        let network = try config.makeModel()
        if syncBatchNorm { SyncBatchNorm.convert(network) }
        let parameters = network.parameters()
        let optimizer = options.optimizer.make(parameters, learningRate: options.learningRate)
        let trainer = Trainer(network, optimizer, loss: data.isClassification ? .crossEntropy : .mse)
        trainer.collective = collective
        var callbacks: [any Callback] = quiet ? [] : [ProgressBar(totalEpochs: options.epochs)]
        var stateful: [any Callback] = []
        if let schedule = options.schedule.make(optimizer, epochs: options.epochs) { stateful.append(ScheduleStepper(schedule)) }
        callbacks += stateful
        if let checkpointToResume { try trainer.resume(from: checkpointToResume, callbacks: stateful) }
        if let diagnostics {
            let defaults = RunInsights.diagnostics(for: trainSet, isClassification: data.isClassification)
            diagnostics.probe = defaults.probe
            diagnostics.chanceLoss = defaults.chanceLoss
            callbacks.append(diagnostics)
        }
        if let logDirectory {
            // The config goes in first, so an unfinished run's checkpoint is never without its model description.
            try config.write(to: logDirectory)
            let checkpointer = Checkpointer(directory: logDirectory, saving: stateful)
            if resume {
                try trainer.resume(from: checkpointer.file, callbacks: stateful)
                print("resumed after epoch \(trainer.completedEpochs) of \(options.epochs)")
                if trainer.completedEpochs >= options.epochs {
                    print("the run already has \(trainer.completedEpochs) epochs; give a larger --epochs to train further")
                }
            }
            callbacks.append(CSVLogger(file: logDirectory.appendingPathComponent("history.csv")))
            callbacks.append(checkpointer)
        }
        if !quiet {
            print("model: \(settings.model) with \(network.parameterCount) parameters; \(options.optimizer), lr \(options.learningRate), batch \(options.batchSize)")
        }
        if trainer.completedEpochs < options.epochs {
            try trainer.fit(trainSet, validation: testSet, epochs: options.epochs, batchSize: options.batchSize, seed: settings.seed,
                            callbacks: callbacks)
        }
        return (config, trainer, trainer.evaluate(testSet), Date().timeIntervalSince(start))
    }

    func crossValidate(_ data: LoadedData, folds k: Int, settings: Settings) throws {
        let all = data.train
        guard k <= all.count else { throw CLIError("--cv \(k) asks for more folds than the \(all.count) examples; use at most \(all.count)") }
        if data.isClassification {
            let counts = Dictionary(grouping: all.labels, by: { $0 }).mapValues(\.count)
            if let (label, count) = counts.min(by: { $0.value < $1.value }), count < k {
                let name = label < data.classNames.count ? data.classNames[label] : String(label)
                throw CLIError("--cv \(k): class '\(name)' has only \(count) example(s), so stratified folds cannot all hold it; "
                               + "use --cv \(max(2, count)) or fewer")
            }
        }
        let folds = data.isClassification ? stratifiedKFold(labels: all.labels, k: k, seed: settings.seed)
            : kFold(count: all.count, k: k, seed: settings.seed)
        print("\(k)-fold \(data.isClassification ? "stratified " : "")cross-validation, \(settings.training.epochs) epochs per fold")
        let summary = try Cortex.crossValidate(folds: k) { i in
            let fold = folds[i]
            let (config, _, evaluation, seconds) = try fit(data, train: all.subset(fold.train), test: all.subset(fold.test),
                                                           settings: settings, logDirectory: nil, quiet: true)
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

    func report(_ data: LoadedData, config: RunConfig, settings: Settings, trainer: Trainer, evaluation: Evaluation, trainCount: Int,
                test: TensorDataset, seconds: Double, directory: URL, diagnostics: DiagnosticsRecord, dataChecks: ReportTable) throws {
        let options = settings.training
        let items = [ReportItem("Model", settings.model), ReportItem("Parameters", "\(trainer.model.parameterCount)"),
                     ReportItem("Training examples", "\(trainCount)"),
                     ReportItem("Epochs", "\(trainer.completedEpochs)"),
                     ReportItem("Optimizer", "\(options.optimizer), lr \(options.learningRate), batch \(options.batchSize)"),
                     ReportItem("Wall time", String(format: "%.0f s", seconds))]
        let reportFile = directory.appendingPathComponent("report.html")
        if config.isClassification {
            let names = data.classNames.isEmpty ? (0..<config.outputs).map(String.init) : data.classNames
            let summary = try ClassificationSummary(evaluation: evaluation, classNames: names)
            print("\n" + summary.text)
            print(String(format: "test accuracy %.4f on %d held-out examples", summary.accuracy, test.count))
            var report = try summary.report(title: "\(data.description) · \(settings.model)",
                                            summary: items + [ReportItem("Test accuracy", String(format: "%.1f%%", 100 * summary.accuracy))],
                                            history: trainer.history, images: data.isImage ? test.inputs : Tensor.zeros([0, 1, 1]))
            (report.diagnostics, report.dataChecks) = (diagnostics, dataChecks)
            let model = trainer.model as! any Layer
            if data.isImage {
                report.learned = try ModelInsight.imageFigures(model: model, images: test.inputs, labels: test.targets.integers, classNames: names)
            } else {
                // The model sees standardised rows, as in training.
                let scaled = noGrad { Standardizer(mean: Tensor(config.featureMean!), std: Tensor(config.featureStd!))(test.inputs) }
                report.learnedTables = [try ModelInsight.importanceTable(model: model, rows: scaled, labels: test.targets.integers,
                                                                         featureNames: data.featureNames, seed: settings.seed)]
            }
            try report.write(to: reportFile)
        } else {
            let scores = try foldScores(evaluation, config: config)
            let line = scores.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: "  ")
            print("test: " + line)
            var report = RunReport(title: "\(data.description) · \(settings.model)",
                                   summary: items + scores.sorted { $0.key < $1.key }.map { ReportItem($0.key.uppercased(), String(format: "%.4f", $0.value)) },
                                   history: trainer.history)
            (report.diagnostics, report.dataChecks) = (diagnostics, dataChecks)
            try report.write(to: reportFile)
        }
    }
}

// The command line takes the training choices by name, and an unknown one is refused with the valid ones listed.
extension OptimizerChoice: ExpressibleByArgument {}
extension ScheduleChoice: ExpressibleByArgument {}
