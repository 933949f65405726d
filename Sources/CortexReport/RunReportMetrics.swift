// Building report rows straight from the evaluation toolkit's results (CortexMetrics), so
// a report is filled with what the metrics computed rather than re-derived numbers.
import Cortex

extension ReportClassScores {
    /// The row of one class of `perClassPrecisionRecallF1` or a `ClassificationReport`, under `name`.
    public init(_ scores: ClassScores, name: String) {
        self.init(name: name, precision: scores.precision, recall: scores.recall, f1: scores.f1, support: scores.support)
    }

    /// Every class of a classification report, named as the report names them.
    public static func rows(of report: ClassificationReport) -> [ReportClassScores] {
        zip(report.classes, report.names).map { ReportClassScores($0, name: $1) }
    }
}

extension ReportROCCurve {
    /// A curve from `rocCurve`, with its area by the trapezoidal rule (as `auc(x:y:)` computes it);
    /// NaN when the curve has no area (a class absent from the test set has NaN rates).
    public init(name: String, curve: ROCCurve) {
        let area = (try? Cortex.auc(x: curve.fpr, y: curve.tpr)) ?? .nan
        self.init(name: name, fpr: curve.fpr, tpr: curve.tpr, auc: area)
    }
}
