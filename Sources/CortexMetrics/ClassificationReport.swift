// A classification report: per-class precision, recall, F1 and support with their averages, and a
// text rendering laid out like sklearn.metrics.classification_report.
import CortexCore
import Foundation

/// Per-class scores and their averages, as `sklearn.metrics.classification_report` computes them.
public struct ClassificationReport: Sendable, Equatable, CustomStringConvertible {
    /// One entry per label, in label order.
    public let classes: [ClassScores]
    /// The row names of `classes` in the text: `targetNames` when given, else the labels.
    public let names: [String]
    /// Accuracy, present when the report covers every label found in the data — then it equals the
    /// micro average, which scikit-learn shows as an "accuracy" row. Nil when `labels` left some out.
    public let accuracy: Double?
    public let microAverage: PrecisionRecallF1
    public let macroAverage: PrecisionRecallF1
    public let weightedAverage: PrecisionRecallF1
    /// Total support of the reported classes.
    public let support: Int

    /// The report as scikit-learn prints it, with scores to `digits` decimals: a row per class, then
    /// "accuracy" (or "micro avg" when some labels were left out), "macro avg" and "weighted avg".
    public func text(digits: Int = 2) -> String {
        let width = max(names.map(\.count).max() ?? 0, "weighted avg".count, digits)
        func name(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        func cell(_ s: String) -> String { " " + String(repeating: " ", count: max(0, 9 - s.count)) + s }
        func number(_ v: Double) -> String { cell(String(format: "%.\(digits)f", v)) }
        func row(_ label: String, _ s: PrecisionRecallF1, _ support: Int) -> String {
            name(label) + " " + number(s.precision) + number(s.recall) + number(s.f1) + cell(String(support)) + "\n"
        }
        var text = name("") + " " + ["precision", "recall", "f1-score", "support"].map(cell).joined() + "\n\n"
        for (n, c) in zip(names, classes) {
            text += row(n, PrecisionRecallF1(precision: c.precision, recall: c.recall, f1: c.f1), c.support)
        }
        text += "\n"
        if let accuracy {
            text += name("accuracy") + " " + cell("") + cell("") + number(accuracy) + cell(String(support)) + "\n"
        } else {
            text += row("micro avg", microAverage, support)
        }
        text += row("macro avg", macroAverage, support)
        text += row("weighted avg", weightedAverage, support)
        return text
    }

    public var description: String { text() }
}

/// The classification report of `yPred` against `yTrue`; `sklearn.metrics.classification_report`.
///
/// `labels` (default: the sorted union of the labels in both arrays) chooses and orders the classes;
/// `targetNames` renames them in the text and must match them in number. `zeroDivision` is the score
/// given to an undefined ratio, as in `perClassPrecisionRecallF1`. Throws a `MetricsError` for empty or
/// mismatched input, bad `labels` or a `targetNames` count that does not match.
public func classificationReport(yTrue: [Int], yPred: [Int], labels: [Int]? = nil, targetNames: [String]? = nil,
                                 zeroDivision: Double = 0) throws -> ClassificationReport {
    let perClass = try perClassPrecisionRecallF1(yTrue: yTrue, yPred: yPred, labels: labels, zeroDivision: zeroDivision)
    let used = perClass.map(\.label)
    if let targetNames, targetNames.count != used.count {
        throw MetricsError(.invalidArgument, "classificationReport: \(targetNames.count) target names for \(used.count) labels \(used)")
    }
    func averaged(_ average: Average) throws -> PrecisionRecallF1 {
        try precisionRecallF1(yTrue: yTrue, yPred: yPred, average: average, labels: used, zeroDivision: zeroDivision)
    }
    let micro = try averaged(.micro)
    let coversData = Set(used).isSuperset(of: yTrue + yPred)
    return ClassificationReport(classes: perClass, names: targetNames ?? used.map(String.init),
                                accuracy: coversData ? micro.f1 : nil, microAverage: micro,
                                macroAverage: try averaged(.macro), weightedAverage: try averaged(.weighted),
                                support: perClass.reduce(0) { $0 + $1.support })
}
