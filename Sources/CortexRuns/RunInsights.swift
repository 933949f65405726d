// What `cortex train` and `cortex demo` add to a run besides its scores: data checks before training, training
// diagnostics during it (with the verdicts printed at the end), and the report's "What the model learned".
import Cortex
import CortexApps
import CortexReport
import Foundation

package enum RunInsights {
    /// The checks of the training (and test) data, printed as warnings and returned as the report's table.
    package static func dataChecks(train: TensorDataset, test: TensorDataset, isImage: Bool, isClassification: Bool, classNames: [String],
                           featureNames: [String], log: (String) -> Void = { print($0) }) -> ReportTable {
        let n = train.count, width = train.inputs.count / max(n, 1)
        let values = noGrad { Tensor.cat([train.inputs, test.inputs]).reshaped([n + test.count, width]) }.scalars
        let rows = (0..<(n + test.count)).map { i in values[i * width..<(i + 1) * width].map { Double($0) } }
        let columns = featureNames.count == width ? featureNames : (0..<width).map { isImage ? "pixel \($0)" : "feature \($0)" }
        let labels = isClassification ? train.targets.integers + test.targets.integers : nil
        let quality = DataQuality(rows: rows, columns: columns, labels: labels, classNames: classNames,
                                  splits: [("training", Array(0..<n)), ("test", Array(n..<(n + test.count)))])
        var warnings = quality.warnings
        if isImage { warnings.removeAll { $0.hasPrefix("constant columns") || $0.hasPrefix("feature scales") } }
        // cortex train standardises table features itself: say so rather than ask the user to.
        warnings = warnings.map { $0.hasSuffix("standardise the features") ? $0 + " (cortex train does, with the training rows' statistics)" : $0 }
        for warning in warnings { log("data check: \(warning)") }
        return ReportTable(title: "Data checks", caption: "Made before training, on the training and test \(isImage ? "images" : "rows") together"
                           + (warnings.isEmpty ? ": no problems found." : "."),
                           header: ["check", "result"], rows: quality.rows(isImage: isImage), warnings: warnings)
    }

    /// The loss of guessing from the training classes' frequencies (their entropy, in nats), or 1 for standardised
    /// regression targets (the mean's squared error).
    package static func chanceLoss(_ train: TensorDataset, isClassification: Bool) -> Double {
        guard isClassification else { return 1 }
        let labels = train.targets.integers
        let counts = Dictionary(grouping: labels, by: { $0 }).values.map { Double($0.count) }
        let total = Double(labels.count)
        return counts.reduce(0) { $0 - ($1 / total) * Foundation.log($1 / total) }
    }

    /// The diagnostics callback for a run: a probe of up to 256 training inputs.
    package static func diagnostics(for train: TensorDataset, isClassification: Bool) -> TrainingDiagnostics {
        TrainingDiagnostics(probe: train.inputs.sliced(0, start: 0, end: min(256, train.count)),
                            chanceLoss: chanceLoss(train, isClassification: isClassification))
    }

    /// Prints the verdicts (problems as warnings) and writes them with the collected record to diagnostics.json.
    package static func finish(_ diagnostics: TrainingDiagnostics, in directory: URL, log: (String) -> Void = { print($0) }) throws {
        for verdict in diagnostics.record.verdicts {
            log("\(verdict.isProblem ? "warning" : "diagnosis"): \(verdict.title.lowercased()): \(verdict.message)"
                  + (verdict.isProblem && !verdict.advice.isEmpty ? " (try: \(verdict.advice))" : ""))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(diagnostics.record).write(to: directory.appendingPathComponent("diagnostics.json"), options: .atomic)
    }
}
