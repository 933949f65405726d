// Precision, recall and F1 of hard predictions, per class and averaged, equal to scikit-learn's
// precision_recall_fscore_support / precision_score / recall_score / f1_score (no sample weights).
import CortexCore

/// Precision, recall and F1 of one class.
public struct ClassScores: Sendable, Equatable {
    public let label: Int
    public let precision: Double
    public let recall: Double
    public let f1: Double
    /// Number of samples whose true label is `label`.
    public let support: Int
}

/// Precision, recall and F1 combined over classes by an `Average`.
public struct PrecisionRecallF1: Sendable, Equatable {
    public let precision: Double
    public let recall: Double
    public let f1: Double
}

/// Per-label counts: true positives, predictions of the label, true occurrences of the label.
struct LabelCounts {
    var truePositives: [Int]
    var predicted: [Int]
    var actual: [Int]

    init(yTrue: [Int], yPred: [Int], labels: [Int]) {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        truePositives = Array(repeating: 0, count: labels.count)
        predicted = truePositives
        actual = truePositives
        for (t, p) in zip(yTrue, yPred) {
            if let i = index[t] { actual[i] += 1; if t == p { truePositives[i] += 1 } }
            if let j = index[p] { predicted[j] += 1 }
        }
    }

    /// All labels pooled into one (micro averaging).
    var pooled: LabelCounts {
        var c = self
        c.truePositives = [truePositives.reduce(0, +)]
        c.predicted = [predicted.reduce(0, +)]
        c.actual = [actual.reduce(0, +)]
        return c
    }

    /// Precision tp/predicted, recall tp/actual and F1 = 2·tp/(actual + predicted) (the harmonic mean
    /// of the two, written on counts as scikit-learn does); a zero denominator gives `zeroDivision`.
    func scores(zeroDivision: Double) -> (precision: [Double], recall: [Double], f1: [Double]) {
        func ratio(_ n: Int, _ d: Int) -> Double { d == 0 ? zeroDivision : Double(n) / Double(d) }
        let precision = zip(truePositives, predicted).map { ratio($0, $1) }
        let recall = zip(truePositives, actual).map { ratio($0, $1) }
        let f1 = truePositives.indices.map { i in
            actual[i] + predicted[i] == 0 ? zeroDivision : 2 * Double(truePositives[i]) / Double(actual[i] + predicted[i])
        }
        return (precision, recall, f1)
    }
}

/// Checks `zeroDivision` is one of the values scikit-learn accepts: 0, 1 or NaN.
func checkZeroDivision(_ value: Double, _ function: String) throws {
    guard value == 0 || value == 1 || value.isNaN else {
        throw MetricsError(.invalidArgument, "\(function): zeroDivision must be 0, 1 or .nan, got \(value)")
    }
}

/// Precision, recall and F1 of each label, in the order of `labels` (default: the sorted union of the
/// labels in `yTrue` and `yPred`); `precision_recall_fscore_support(average=None)`.
///
/// precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2·tp / (2·tp + fp + fn). A zero
/// denominator (a class never predicted, or never present) gives `zeroDivision` — 0, 1 or NaN —
/// which defaults to 0 like scikit-learn's default `"warn"`. Labels in `labels` absent from the data
/// are allowed; samples whose labels are not in `labels` are ignored.
public func perClassPrecisionRecallF1(yTrue: [Int], yPred: [Int], labels: [Int]? = nil,
                                      zeroDivision: Double = 0) throws -> [ClassScores] {
    let function = "perClassPrecisionRecallF1"
    try checkPaired(yTrue.count, yPred.count, function)
    try checkZeroDivision(zeroDivision, function)
    if let labels { try checkLabelList(labels, function) }
    let labels = labels ?? sortedUnique(yTrue + yPred)
    let counts = LabelCounts(yTrue: yTrue, yPred: yPred, labels: labels)
    let s = counts.scores(zeroDivision: zeroDivision)
    return labels.indices.map {
        ClassScores(label: labels[$0], precision: s.precision[$0], recall: s.recall[$0], f1: s.f1[$0],
                    support: counts.actual[$0])
    }
}

/// Precision, recall and F1 combined by `average`; `sklearn.metrics.precision_recall_fscore_support`
/// with `average=` and `zero_division=`.
///
/// - `.binary(positiveLabel:)`: the scores of that one label. At most two distinct labels may occur
///   in `yTrue` ∪ `yPred`, and when two do the positive label must be one of them.
/// - `.micro`: tp, predicted and actual counts summed over `labels` first (equals accuracy when
///   `labels` covers every label in the data).
/// - `.macro`: the mean of the per-label scores; `.weighted`: their mean weighted by support.
///
/// `labels` defaults to the sorted union of the labels in `yTrue` and `yPred` (ignored for
/// `.binary`). Per-label scores of NaN (`zeroDivision: .nan`) are left out of the averages; if every
/// label has zero support the weighted average falls back to the unweighted one, as in scikit-learn.
public func precisionRecallF1(yTrue: [Int], yPred: [Int], average: Average = .binary(positiveLabel: 1),
                              labels: [Int]? = nil, zeroDivision: Double = 0) throws -> PrecisionRecallF1 {
    let function = "precisionRecallF1"
    try checkPaired(yTrue.count, yPred.count, function)
    try checkZeroDivision(zeroDivision, function)
    let present = sortedUnique(yTrue + yPred)
    var used: [Int]
    if case .binary(let positive) = average {
        guard present.count <= 2 else {
            throw MetricsError(.invalidArgument, "\(function): the labels \(present) are multiclass but average is binary; use .micro, .macro or .weighted")
        }
        guard present.contains(positive) || present.count < 2 else {
            throw MetricsError(.invalidArgument, "\(function): positive label \(positive) is not one of the labels \(present)")
        }
        used = [positive]
    } else {
        if let labels { try checkLabelList(labels, function) }
        used = labels ?? present
    }
    var counts = LabelCounts(yTrue: yTrue, yPred: yPred, labels: used)
    if average == .micro { counts = counts.pooled }
    let s = counts.scores(zeroDivision: zeroDivision)
    let weights = average == .weighted ? counts.actual.map(Double.init) : nil
    return PrecisionRecallF1(precision: nanAverage(s.precision, weights: weights),
                             recall: nanAverage(s.recall, weights: weights),
                             f1: nanAverage(s.f1, weights: weights))
}

/// scikit-learn's `_nanaverage`: NaNs left out; all NaN gives NaN; weights summing to zero give the
/// plain mean of the rest. The unweighted mean sums with NaNs replaced by zeros, as `np.nanmean` does.
private func nanAverage(_ values: [Double], weights: [Double]?) -> Double {
    let kept = values.indices.filter { !values[$0].isNaN }
    guard !kept.isEmpty else { return .nan }
    if let weights,
       let mean = numpyWeightedAverage(kept.map { values[$0] }, weights: kept.map { weights[$0] }) {
        return mean
    }
    if weights != nil { return numpyMean(kept.map { values[$0] }) }
    return pairwiseSum(values.map { $0.isNaN ? 0 : $0 }) / Double(kept.count)
}

/// Precision tp / (tp + fp) combined by `average`; `sklearn.metrics.precision_score`.
/// See `precisionRecallF1(yTrue:yPred:average:labels:zeroDivision:)` for the arguments.
public func precision(yTrue: [Int], yPred: [Int], average: Average = .binary(positiveLabel: 1),
                      labels: [Int]? = nil, zeroDivision: Double = 0) throws -> Double {
    try precisionRecallF1(yTrue: yTrue, yPred: yPred, average: average, labels: labels, zeroDivision: zeroDivision).precision
}

/// Recall tp / (tp + fn) combined by `average`; `sklearn.metrics.recall_score`.
public func recall(yTrue: [Int], yPred: [Int], average: Average = .binary(positiveLabel: 1),
                   labels: [Int]? = nil, zeroDivision: Double = 0) throws -> Double {
    try precisionRecallF1(yTrue: yTrue, yPred: yPred, average: average, labels: labels, zeroDivision: zeroDivision).recall
}

/// F1 = 2·tp / (2·tp + fp + fn) combined by `average`; `sklearn.metrics.f1_score`.
public func f1Score(yTrue: [Int], yPred: [Int], average: Average = .binary(positiveLabel: 1),
                    labels: [Int]? = nil, zeroDivision: Double = 0) throws -> Double {
    try precisionRecallF1(yTrue: yTrue, yPred: yPred, average: average, labels: labels, zeroDivision: zeroDivision).f1
}
