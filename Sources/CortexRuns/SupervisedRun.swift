// Classifiers and regressors on images and tables (mlp, cnn, layer specs): one model trained on the training
// examples and judged on the held-out ones, into a run directory (model, config, history, checkpoint, report),
// staged and swapped in when it finishes; data-parallel under mpirun.
import Cortex
import CortexDistributed
import CortexModels
import CortexReport
import Foundation

/// mlp, cnn or a layer spec on Fashion-MNIST, a built-in table or a CSV table: whatever no other kind accepts.
public enum SupervisedRun: TrainingRun {
    public static let name = "supervised"
    public static let runsDataParallel = true
    public static func accepts(_ request: TrainRequest) -> Bool { request.crossValidationFolds == nil }
    public static func run(_ request: TrainRequest) throws { try request.trainSupervised() }
}

extension TrainRequest {
    /// The settings of this run: the options given, else (resuming) the run's own, else the defaults.
    struct Settings {
        var model: ModelChoice, hidden: [Int], seed: UInt64
        var training: RunConfig.Training
    }

    func settings(resuming saved: RunConfig?) throws -> Settings {
        let old = saved?.training
        let model = try self.model.map(ModelChoice.init)
        if let saved, let old {
            // A resumed run keeps what shaped it; only the number of epochs may grow.
            var conflicts: [String] = []
            if let model, model != saved.model { conflicts.append("--model \(model) (the run's: \(saved.model))") }
            if let hidden, hidden != saved.hidden { conflicts.append("--hidden \(hidden.map(String.init).joined(separator: ","))") }
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
                throw PlainError("--resume continues the run with its own settings, but these differ: \(conflicts.joined(separator: "; ")); "
                               + "start a new run with --overwrite or another --output instead")
            }
        }
        let data = source.csv != nil ? "csv" : (source.data ?? old?.data ?? "")
        return Settings(
            model: model ?? saved?.model ?? .mlp, hidden: hidden ?? saved?.hidden ?? [128, 64],
            seed: seed ?? saved?.seed ?? 0,
            training: RunConfig.Training(
                data: data, dataDir: source.dataDir ?? old?.dataDir, csv: source.csv ?? old?.csv, target: source.target ?? old?.target,
                missing: source.missing ?? old?.missing, limit: source.limit ?? old?.limit,
                optimizer: optimizer ?? old?.optimizer ?? .adam, learningRate: learningRate ?? old?.learningRate ?? 1e-3,
                batchSize: batchSize ?? old?.batchSize ?? 64, schedule: schedule ?? old?.schedule ?? ScheduleChoice.none,
                testFraction: testFraction ?? old?.testFraction ?? 0.2, epochs: epochs ?? old?.epochs ?? 10))
    }

    func trainSupervised() throws {
        // Under mpirun: data-parallel training. Rank 0 does everything a lone run does; the others train their
        // shards and write nothing.
        let collective = try dataParallel()
        if let collective {
            if collective.rank != 0 { return try trainAsReplica(collective) }
            log("data-parallel: \(collective.size) processes, each on its share of every global batch"
                  + (syncBatchNorm ? "; batch norms synchronised" : ""))
        }
        let directory = RunDirectory(output)
        let (resumeFrom, unfinished) = try directory.prepareStaging(resume: resume, overwrite: overwrite, log: log)
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
        log("data: \(data.description)")
        do {
            try train(data, settings: settings, in: directory.staging, resumeFrom: resumeFrom, collective: collective)
        } catch {
            var message = error is PlainError ? "\(error)" : plainDescription(error)
            if resumeFrom != nil || overwrite { message += ". The run in \(directory.final.path) is unchanged" }
            if directory.keepIfResumable() {
                message += ". The unfinished run is in \(directory.staging.path); --resume continues it from its last checkpoint"
            }
            throw PlainError(message)
        }
        try directory.commit()
        log("report: \(directory.final.appendingPathComponent("report.html").path)")
        log("model, config, history and checkpoint in \(directory.final.path)/")
    }

    /// Under mpirun with more than one process, the data-parallel collective this run trains with; nil alone.
    func dataParallel() throws -> DataParallel? {
        let bucketBytes = self.bucketBytes ?? 256 << 10
        guard let group = try ProcessGroup.world(), group.size > 1 else { return nil }
        return try DataParallel(group, bucketBytes: bucketBytes)
    }

    /// The settings and data of a new run, or of the run in `resumeFrom` (whose own data source is used when none
    /// is named again).
    func settingsAndData(resumingFrom resumeFrom: URL?) throws -> (Settings, LoadedData) {
        let saved = try resumeFrom.map { try RunConfig.read(from: $0) }
        if resume && saved?.training == nil { throw PlainError("the run in \(output) has no training settings to resume with") }
        var options = source
        if let old = saved?.training, source.data == nil && source.csv == nil {
            // Resuming without naming the data again: the run's own source.
            if old.data == "csv" { options.csv = old.csv } else { options.data = old.data }
            options.dataDir = options.dataDir ?? old.dataDir
            options.target = options.target ?? old.target
            options.missing = options.missing ?? old.missing
            options.limit = options.limit ?? old.limit
            if let saved { options.task = saved.task }
        }
        return (try self.settings(resuming: saved), try options.load(log: log))
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
                throw PlainError("\(train.count) examples are too few to hold out a test fraction of \(settings.training.testFraction)")
            }
            test = train.subset(split.test)
            train = train.subset(split.train)
        }
        return (train, test!)
    }

    func train(_ data: LoadedData, settings: Settings, in directory: URL, resumeFrom: URL?, collective: DataParallel? = nil) throws {
        let (train, test) = try heldOut(data, settings: settings)
        let checks = RunInsights.dataChecks(train: train, test: test, isImage: data.isImage, isClassification: data.isClassification,
                                            classNames: data.classNames, featureNames: data.featureNames, log: log)
        let diagnostics = TrainingDiagnostics()
        let (config, trainer, evaluation, seconds) = try fit(data, train: train, test: test, settings: settings,
                                                             logDirectory: directory, resume: resumeFrom != nil, diagnostics: diagnostics,
                                                             collective: collective)
        try config.write(to: directory)
        try saveSafetensors(trainer.model.stateDict(), to: directory.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
        try RunInsights.finish(diagnostics, in: directory, log: log)
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
                               task: data.isClassification ? .classification : .regression, classNames: data.classNames, featureNames: data.featureNames,
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
                log("resumed after epoch \(trainer.completedEpochs) of \(options.epochs)")
                if trainer.completedEpochs >= options.epochs {
                    log("the run already has \(trainer.completedEpochs) epochs; give a larger --epochs to train further")
                }
            }
            callbacks.append(CSVLogger(file: logDirectory.appendingPathComponent("history.csv")))
            callbacks.append(checkpointer)
        }
        if !quiet {
            log("model: \(settings.model) with \(network.parameterCount) parameters; \(options.optimizer), lr \(options.learningRate), batch \(options.batchSize)")
        }
        if trainer.completedEpochs < options.epochs {
            try trainer.fit(trainSet, validation: testSet, epochs: options.epochs, batchSize: options.batchSize, seed: settings.seed,
                            callbacks: callbacks)
        }
        return (config, trainer, trainer.evaluate(testSet), Date().timeIntervalSince(start))
    }

    func report(_ data: LoadedData, config: RunConfig, settings: Settings, trainer: Trainer, evaluation: Evaluation, trainCount: Int,
                test: TensorDataset, seconds: Double, directory: URL, diagnostics: DiagnosticsRecord, dataChecks: ReportTable) throws {
        let options = settings.training
        let items = [ReportItem("Model", settings.model.description), ReportItem("Parameters", "\(trainer.model.parameterCount)"),
                     ReportItem("Training examples", "\(trainCount)"),
                     ReportItem("Epochs", "\(trainer.completedEpochs)"),
                     ReportItem("Optimizer", "\(options.optimizer), lr \(options.learningRate), batch \(options.batchSize)"),
                     ReportItem("Wall time", String(format: "%.0f s", seconds))]
        let reportFile = directory.appendingPathComponent("report.html")
        if config.isClassification {
            let names = data.classNames.isEmpty ? (0..<config.outputs).map(String.init) : data.classNames
            let summary = try ClassificationSummary(evaluation: evaluation, classNames: names)
            log("\n" + summary.text)
            log(String(format: "test accuracy %.4f on %d held-out examples", summary.accuracy, test.count))
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
            log("test: " + line)
            var report = RunReport(title: "\(data.description) · \(settings.model)",
                                   summary: items + scores.sorted { $0.key < $1.key }.map { ReportItem($0.key.uppercased(), String(format: "%.4f", $0.value)) },
                                   history: trainer.history)
            (report.diagnostics, report.dataChecks) = (diagnostics, dataChecks)
            try report.write(to: reportFile)
        }
    }
}
