// A per-epoch CSV log of training, readable while the run goes on.
import Foundation

/// Appends one CSV row per epoch — epoch, loss, metric, val_loss, val_metric, lr, seconds, then any
/// other value the training step reports (a VAE's kl, a GAN's d_loss) — flushed as it goes so the file
/// is useful while training runs. A step without a metric has no metric columns.
public final class CSVLogger: Callback {
    public let file: URL
    private var handle: FileHandle?
    /// The step's other values, in column order; fixed by the first epoch of a new log.
    private var extraColumns: [String]?

    public init(file: URL) { self.file = file }

    public func trainingWillBegin(_ trainer: Trainer) {
        let resuming = trainer.completedEpochs > 0 && FileManager.default.fileExists(atPath: file.path)
        if resuming {
            // Continue the columns the log already has.
            let header = (try? String(contentsOf: file, encoding: .utf8))?.split(separator: "\n").first.map(String.init) ?? ""
            extraColumns = Array(header.split(separator: ",").map(String.init).drop { $0 != "seconds" }.dropFirst())
            handle = try? FileHandle(forWritingTo: file)
            _ = try? handle?.seekToEnd()
        } else {
            extraColumns = nil   // the header is written with the first row, when the step's values are known
            _ = FileManager.default.createFile(atPath: file.path, contents: Data())
            handle = try? FileHandle(forWritingTo: file)
        }
    }

    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        guard let handle else { throw CheckpointError("cannot write the CSV log \(file.path)") }
        let metric = trainer.history.metricName, hasMetric = !metric.isEmpty
        var text = ""
        if extraColumns == nil {
            let extras = (record.values ?? [:]).keys.filter { $0 != metric }.sorted()
            extraColumns = extras
            var header = ["epoch", "loss"] + (hasMetric ? [metric] : []) + ["val_loss"] + (hasMetric ? ["val_\(metric)"] : [])
            header += ["lr", "seconds"] + extras
            text = header.joined(separator: ",") + "\n"
        }
        var fields: [String] = [String(record.epoch), "\(record.trainLoss)"]
        if hasMetric { fields.append("\(record.trainMetric)") }
        fields.append(record.validationLoss.map { "\($0)" } ?? "")
        if hasMetric { fields.append(record.validationMetric.map { "\($0)" } ?? "") }
        fields += ["\(record.learningRate)", String(format: "%.3f", record.seconds)]
        fields += (extraColumns ?? []).map { name in record.values?[name].map { "\($0)" } ?? "" }
        text += fields.joined(separator: ",") + "\n"
        try handle.write(contentsOf: Data(text.utf8))
    }

    public func trainingDidEnd(_ trainer: Trainer) {
        try? handle?.close()
        handle = nil
    }
}
