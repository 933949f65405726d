// A per-epoch CSV log of training, readable while the run goes on.
import Foundation

/// Appends one CSV row per epoch (epoch, loss, metric, val_loss, val_metric, lr, seconds),
/// flushed as it goes so the file is useful while training runs.
public final class CSVLogger: Callback {
    public let file: URL
    private var handle: FileHandle?

    public init(file: URL) { self.file = file }

    public func trainingWillBegin(_ trainer: Trainer) {
        let metric = trainer.history.metricName
        let resuming = trainer.completedEpochs > 0 && FileManager.default.fileExists(atPath: file.path)
        if !resuming {
            let metricColumns = metric.isEmpty ? "" : "\(metric),"
            let header = "epoch,loss,\(metricColumns)val_loss,\(metric.isEmpty ? "" : "val_\(metric),")lr,seconds\n"
            _ = FileManager.default.createFile(atPath: file.path, contents: Data(header.utf8))
        }
        handle = try? FileHandle(forWritingTo: file)
        _ = try? handle?.seekToEnd()
    }

    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        guard let handle else { throw CheckpointError("cannot write the CSV log \(file.path)") }
        // A step that reports no metric (a GAN's) has no metric columns.
        let hasMetric = !trainer.history.metricName.isEmpty
        var fields: [String] = [String(record.epoch), "\(record.trainLoss)"]
        if hasMetric { fields.append("\(record.trainMetric)") }
        fields.append(record.validationLoss.map { "\($0)" } ?? "")
        if hasMetric { fields.append(record.validationMetric.map { "\($0)" } ?? "") }
        fields += ["\(record.learningRate)", String(format: "%.3f", record.seconds)]
        try handle.write(contentsOf: Data((fields.joined(separator: ",") + "\n").utf8))
    }

    public func trainingDidEnd(_ trainer: Trainer) {
        try? handle?.close()
        handle = nil
    }
}
