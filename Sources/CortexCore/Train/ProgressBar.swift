// A progress display for `fit`: a live bar on a terminal, plain lines when output is redirected.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Shows epoch, batch n/N, running loss and metric, samples per second and time left.
/// On a terminal one line is redrawn in place; otherwise (a log file, CI) it prints a plain line at
/// each quarter of an epoch and a summary per epoch.
public final class ProgressBar: Callback {
    let write: (String) -> Void
    let interactive: Bool
    private var epochs = 0
    private var epochStart = Date()
    private var lossSum = 0.0, samples = 0, lastQuarter = 0
    private var lastDraw = Date.distantPast

    /// - Parameters:
    ///   - totalEpochs: shown as "epoch e/N" when known.
    ///   - interactive: redraw in place; by default, whether standard output is a terminal.
    ///   - output: where the lines go; standard output by default.
    public init(totalEpochs: Int = 0, interactive: Bool? = nil, output: ((String) -> Void)? = nil) {
        epochs = totalEpochs
        self.interactive = interactive ?? (isatty(STDOUT_FILENO) == 1)
        // Through print's buffer (then flushed), so progress interleaves correctly with the
        // caller's own print output.
        write = output ?? { text in
            print(text, terminator: "")
            fflush(nil)
        }
    }

    public func epochWillBegin(_ trainer: Trainer, epoch: Int) {
        epochStart = Date()
        lossSum = 0
        samples = 0
        lastQuarter = 0
    }

    public func batchDidEnd(_ trainer: Trainer, epoch: Int, batch: Int, batches: Int, loss: Double, samples n: Int) {
        lossSum += loss * Double(n)
        samples += n
        let elapsed = Date().timeIntervalSince(epochStart)
        let rate = Double(samples) / max(elapsed, 1e-9)
        let eta = elapsed / Double(batch) * Double(batches - batch)
        let metric = trainer.history.metricName
        let status = "loss \(format(lossSum / Double(samples)))" + (metric.isEmpty ? "" : " \(metric) \(format(trainer.runningMetric))")
            + " · \(Int(rate)) samples/s · ETA \(clock(eta))"
        if interactive {
            // Redraw at most 10 times a second: terminal output is slow.
            guard Date().timeIntervalSince(lastDraw) > 0.1 || batch == batches else { return }
            lastDraw = Date()
            let width = 24, filled = width * batch / max(batches, 1)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write("\r\(epochLabel(epoch)) \(bar) \(batch)/\(batches) \(status)\u{1B}[K")
        } else {
            let quarter = 4 * batch / max(batches, 1)
            if quarter > lastQuarter && batch < batches {
                lastQuarter = quarter
                write("\(epochLabel(epoch)) batch \(batch)/\(batches) \(status)\n")
            }
        }
    }

    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        let metric = trainer.history.metricName
        var line = "\(epochLabel(record.epoch)) loss \(format(record.trainLoss))" + (metric.isEmpty ? "" : " \(metric) \(format(record.trainMetric))")
        // A custom step's other values (a VAE's kl, a GAN's d_loss) follow, by name.
        for (name, value) in (record.values ?? [:]).sorted(by: { $0.key < $1.key }) where name != metric {
            line += " \(name) \(format(value))"
        }
        if let vl = record.validationLoss {
            line += " · val_loss \(format(vl))" + (record.validationMetric.map { " val_\(metric) \(format($0))" } ?? "")
        }
        line += " · \(String(format: "%.1f", record.seconds)) s"
        write(interactive ? "\r\(line)\u{1B}[K\n" : "\(line)\n")
    }

    public func trainingDidEnd(_ trainer: Trainer) {
        if let reason = trainer.stopReason { write("\(reason)\n") }
    }

    private func epochLabel(_ epoch: Int) -> String { epochs > 0 ? "epoch \(epoch)/\(epochs)" : "epoch \(epoch)" }
    private func format(_ v: Double) -> String { String(format: "%.4f", v) }
    private func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}
