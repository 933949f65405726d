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
            _ = FileManager.default.createFile(atPath: file.path, contents: Data("epoch,loss,\(metric),val_loss,val_\(metric),lr,seconds\n".utf8))
        }
        handle = try? FileHandle(forWritingTo: file)
        _ = try? handle?.seekToEnd()
    }

    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        guard let handle else { throw CheckpointError("cannot write the CSV log \(file.path)") }
        let fields = [String(record.epoch), "\(record.trainLoss)", "\(record.trainMetric)",
                      record.validationLoss.map { "\($0)" } ?? "", record.validationMetric.map { "\($0)" } ?? "",
                      "\(record.learningRate)", String(format: "%.3f", record.seconds)]
        try handle.write(contentsOf: Data((fields.joined(separator: ",") + "\n").utf8))
    }

    public func trainingDidEnd(_ trainer: Trainer) {
        try? handle?.close()
        handle = nil
    }
}
