// The confusion matrix of hard predictions (rows = true class, columns = predicted class), equal to
// sklearn.metrics.confusion_matrix without sample weights.
import CortexCore
import Foundation

/// Counts of (true label, predicted label) pairs: `counts[i][j]` is the number of samples whose true
/// label is `labels[i]` and whose predicted label is `labels[j]` — rows are true classes, as in
/// scikit-learn.
public struct ConfusionMatrix: Sendable, Equatable, CustomStringConvertible {
    /// What `normalized(over:)` divides by; scikit-learn's `normalize='true' | 'pred' | 'all'`.
    public enum Normalization: Sendable {
        /// Each row by its sum: row i holds the fraction of class i's samples given each prediction.
        case trueLabels
        /// Each column by its sum.
        case predictedLabels
        /// Every count by the total.
        case all
    }

    public let labels: [Int]
    public let counts: [[Int]]

    /// The count of samples with true label `trueLabel` predicted as `predicted`; nil for a label
    /// that is not in `labels`.
    public subscript(trueLabel: Int, predicted: Int) -> Int? {
        guard let i = labels.firstIndex(of: trueLabel), let j = labels.firstIndex(of: predicted) else { return nil }
        return counts[i][j]
    }

    /// Counts divided by row, column or total sums. An empty row or column gives zeros rather than
    /// NaN, as scikit-learn does.
    public func normalized(over normalization: Normalization) -> [[Double]] {
        let k = labels.count
        let rowSums = counts.map { $0.reduce(0, +) }
        let columnSums = (0..<k).map { j in counts.reduce(0) { $0 + $1[j] } }
        let total = rowSums.reduce(0, +)
        return (0..<k).map { i in
            (0..<k).map { j in
                let divisor = switch normalization {
                case .trueLabels: rowSums[i]
                case .predictedLabels: columnSums[j]
                case .all: total
                }
                return divisor == 0 ? 0 : Double(counts[i][j]) / Double(divisor)
            }
        }
    }

    /// A grid with predicted labels across and true labels down.
    public var description: String {
        let cells = counts.flatMap { $0.map(String.init) } + labels.map(String.init) + ["true\\pred"]
        let width = cells.map(\.count).max() ?? 1
        func pad(_ s: String) -> String { String(repeating: " ", count: width - s.count) + s }
        var lines = [([pad("true\\pred")] + labels.map { pad(String($0)) }).joined(separator: " ")]
        for (label, row) in zip(labels, counts) {
            lines.append(([pad(String(label))] + row.map { pad(String($0)) }).joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}

/// The confusion matrix of `yPred` against `yTrue`; `sklearn.metrics.confusion_matrix`.
///
/// `labels` (default: the sorted union of the labels in both arrays) fixes the rows and columns and
/// their order; samples whose true or predicted label is not among them are left out. At least one
/// of `labels` must occur in `yTrue`. Throws a `MetricsError` for empty or mismatched input, or a
/// `labels` list that is empty, repeats a label or misses every true label.
public func confusionMatrix(yTrue: [Int], yPred: [Int], labels: [Int]? = nil) throws -> ConfusionMatrix {
    let function = "confusionMatrix"
    try checkPaired(yTrue.count, yPred.count, function)
    if let labels {
        try checkLabelList(labels, function)
        guard !Set(labels).isDisjoint(with: yTrue) else {
            throw MetricsError(.invalidArgument, "\(function): none of the labels \(labels) occurs in yTrue")
        }
    }
    let labels = labels ?? sortedUnique(yTrue + yPred)
    let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
    var counts = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
    for (t, p) in zip(yTrue, yPred) {
        if let i = index[t], let j = index[p] { counts[i][j] += 1 }
    }
    return ConfusionMatrix(labels: labels, counts: counts)
}
