// `cortex train`: the options of every kind of run, parsed into a `TrainRequest` and handed to the kind that
// accepts it (CortexRuns): classifiers and regressors, cross-validation, language models, text classifiers and
// the generative models. A run is trained in a staging directory and swapped into --output when it finishes;
// --resume continues a killed or finished run.
import ArgumentParser
import CortexModels
import CortexRuns

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
        if let hidden, (try? Self.hiddenSizes(hidden)) == nil {
            throw ValidationError("--hidden must be positive integers separated by commas, not '\(hidden)'")
        }
        do { try request().validate() } catch let error as PlainError { throw ValidationError(error.description) }
    }

    static func hiddenSizes(_ text: String) throws -> [Int] {
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { throw PlainError("bad --hidden '\(text)'") }
        return sizes.map { $0! }
    }

    /// The options as the library's request.
    func request() throws -> TrainRequest {
        var request = TrainRequest(source: source.exampleSource, model: model, output: output)
        request.hidden = try hidden.map(Self.hiddenSizes)
        (request.latent, request.labels, request.epochs, request.batchSize) = (latent, labels, epochs, batchSize)
        (request.optimizer, request.learningRate, request.schedule, request.seed) = (optimizer, learningRate, schedule, seed)
        (request.testFraction, request.resume, request.overwrite, request.crossValidationFolds) = (testFraction, resume, overwrite, cv)
        request.syncBatchNorm = syncBatchNorm
        request.bucketBytes = bucketKB.map { $0 == 0 ? Int.max : $0 * 1024 }
        return request
    }

    func run() throws { try TrainingRuns.run(try request()) }
}

// The command line takes the training choices by name, and an unknown one is refused with the valid ones listed.
extension OptimizerChoice: ExpressibleByArgument {}
extension ScheduleChoice: ExpressibleByArgument {}
