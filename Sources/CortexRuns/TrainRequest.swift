// What a training run is asked for: the settings `cortex train` takes, as plain values, so that a run of any
// kind can be started and tested in-process. An unset setting takes the kind's default (or, resuming, the run's own).
import Cortex
import CortexModels
import Foundation

public struct TrainRequest: Sendable {
    /// Where the examples come from.
    public var source: ExampleSource
    /// mlp, cnn or a layer spec (tables and images); lstm or gpt (fortunes); minilm or lstm (bbc-news); a
    /// `GenerativeKind` (Fashion-MNIST).
    public var model: String?
    /// Hidden widths: the MLP's layers, an autoencoder's or VAE's layers, an RBM's hidden units, a DBN's layers.
    public var hidden: [Int]?
    /// Code size of the autoencoders and VAEs; noise size of the GANs.
    public var latent: Int?
    /// Labelled training images the self-supervised run's linear probe may use.
    public var labels: Int?
    /// Training epochs; resuming, the new total.
    public var epochs: Int?
    public var batchSize: Int?
    public var optimizer: OptimizerChoice?
    public var learningRate: Float?
    public var schedule: ScheduleChoice?
    public var seed: UInt64?
    /// The fraction of a table held out for testing (tables have no test split of their own).
    public var testFraction: Double?
    /// The run directory.
    public var output: String
    /// Continue the run in `output` from its last checkpoint, with its own settings.
    public var resume = false
    /// Replace the run in `output` (kept until the new one has finished).
    public var overwrite = false
    /// Cross-validate with this many folds instead of training one model.
    public var crossValidationFolds: Int?
    /// Under mpirun: batch norms use the whole global batch's statistics.
    public var syncBatchNorm = false
    /// Under mpirun: gradient bytes gathered into one all-reduce (nil: 256 KiB; `Int.max`: the whole model at once).
    public var bucketBytes: Int?
    /// Where progress lines go (the progress bar writes to the terminal itself).
    public var log: @Sendable (String) -> Void

    public init(source: ExampleSource, model: String? = nil, output: String, log: @escaping @Sendable (String) -> Void = { print($0) }) {
        (self.source, self.model, self.output, self.log) = (source, model, output, log)
    }

    /// Stops with a plain message on settings no run can take, before anything is read.
    public func validate() throws {
        if let bucketBytes, bucketBytes < 0 { throw PlainError("the all-reduce bucket must be 0 bytes or more, not \(bucketBytes)") }
        if let epochs { guard epochs >= 1 && epochs <= 10_000 else { throw PlainError("--epochs must be between 1 and 10000, not \(epochs)") } }
        if let batchSize { guard batchSize >= 1 && batchSize <= 1 << 20 else { throw PlainError("--batch-size must be between 1 and 1048576, not \(batchSize)") } }
        if let learningRate {
            guard learningRate > 0 && learningRate.isFinite else { throw PlainError("--lr must be a positive number, not \(learningRate)") }
        }
        if let testFraction { guard testFraction > 0 && testFraction < 1 else { throw PlainError("--test-fraction must be between 0 and 1, not \(testFraction)") } }
        if let crossValidationFolds, crossValidationFolds < 2 { throw PlainError("--cv needs at least 2 folds, not \(crossValidationFolds)") }
        if let latent, latent < 1 || latent > 4096 { throw PlainError("--latent must be between 1 and 4096, not \(latent)") }
        if let labels, labels < 10 { throw PlainError("--labels must be at least 10, not \(labels)") }
        if let hidden, hidden.isEmpty || hidden.contains(where: { $0 < 1 }) {
            throw PlainError("--hidden must be positive integers, not \(hidden)")
        }
        try source.validate()
        if !resume && source.data == nil && source.csv == nil {
            throw PlainError("give the examples with --data NAME or --csv FILE (only --resume reads the run's own)")
        }
        if resume && overwrite { throw PlainError("--resume and --overwrite cannot be used together") }
        if crossValidationFolds != nil && (resume || overwrite) { throw PlainError("--cv writes no run directory; it takes neither --resume nor --overwrite") }
    }
}
