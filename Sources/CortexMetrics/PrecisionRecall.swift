// Precision-recall curves and average precision, equal to scikit-learn's precision_recall_curve and
// average_precision_score (the step-wise sum, not a trapezoid), without sample weights.
import CortexCore

/// A precision-recall curve: predicting positive the samples scoring ≥ `thresholds[i]` gives
/// `precision[i]` and `recall[i]`. The arrays run from the lowest threshold (recall 1) up, and
/// `precision`/`recall` end with the point (recall 0, precision 1), which has no threshold — so they
/// are one longer than `thresholds`.
public struct PrecisionRecallCurve: Sendable, Equatable {
    public let precision: [Double]
    /// Non-increasing, ending at 0.
    public let recall: [Double]
    /// Increasing distinct scores.
    public let thresholds: [Double]
}

/// The precision-recall curve of `scores` for `yTrue`; `sklearn.metrics.precision_recall_curve`.
///
/// Precision at a threshold is tp / (tp + fp), set to 0 where nothing is predicted positive; recall is
/// tp / (all positives), set to 1 everywhere when `yTrue` has no positive (scikit-learn warns). With
/// `dropIntermediate` (off by default, as in scikit-learn) only the first and last threshold of each
/// run with the same true-positive count is kept. Positives are `yTrue == positiveLabel`; without one,
/// `yTrue` must use labels {0, 1} or {−1, 1} and 1 is positive.
public func precisionRecallCurve<T: BinaryFloatingPoint>(yTrue: [Int], scores: [T], positiveLabel: Int? = nil,
                                                         dropIntermediate: Bool = false) throws -> PrecisionRecallCurve {
    let function = "precisionRecallCurve"
    try checkPaired(yTrue.count, scores.count, function, names: ("yTrue", "scores"))
    let s = try finiteDoubles(scores, function, name: "scores")
    return precisionRecallCurve(isPositive: try positiveMask(yTrue: yTrue, positiveLabel: positiveLabel, function),
                                scores: s, dropIntermediate: dropIntermediate)
}

func precisionRecallCurve(isPositive: [Bool], scores: [Double], dropIntermediate: Bool) -> PrecisionRecallCurve {
    var counts = ThresholdCounts(isPositive: isPositive, scores: scores)
    let n = counts.thresholds.count
    if dropIntermediate && n > 2 {
        let tps = counts.truePositives
        counts.keep([0] + (1..<n - 1).filter { tps[$0] != tps[$0 - 1] || tps[$0 + 1] != tps[$0] } + [n - 1])
    }
    let positives = counts.truePositives.last!
    let precision = zip(counts.truePositives, counts.falsePositives).map { tp, fp in tp + fp != 0 ? tp / (tp + fp) : 0 }
    let recall = counts.truePositives.map { positives == 0 ? 1 : $0 / positives }
    return PrecisionRecallCurve(precision: precision.reversed() + [1], recall: recall.reversed() + [0],
                                thresholds: counts.thresholds.reversed())
}

/// Average precision, AP = Σₙ (Rₙ − Rₙ₋₁) Pₙ over the thresholds from the highest down: precision
/// weighted by each step in recall; `sklearn.metrics.average_precision_score` for one score per sample.
///
/// This is the step-wise sum scikit-learn uses, not the trapezoidal area under the precision-recall
/// curve (which interpolates linearly and is optimistic). Positives are `yTrue == positiveLabel`
/// (default 1); when `yTrue` has two labels the positive label must be one of them. A `yTrue` without
/// positives gives 0, as in scikit-learn. Throws a `MetricsError` for more than two labels (use the
/// probability-matrix overload), empty or mismatched input or non-finite scores.
public func averagePrecision<T: BinaryFloatingPoint>(yTrue: [Int], scores: [T], positiveLabel: Int = 1) throws -> Double {
    let function = "averagePrecision"
    try checkPaired(yTrue.count, scores.count, function, names: ("yTrue", "scores"))
    let s = try finiteDoubles(scores, function, name: "scores")
    let present = sortedUnique(yTrue)
    guard present.count <= 2 else {
        throw MetricsError(.invalidShape, "\(function): yTrue has \(present.count) classes; pass a (samples × classes) score matrix")
    }
    guard present.count < 2 || present.contains(positiveLabel) else {
        throw MetricsError(.invalidArgument, "\(function): positive label \(positiveLabel) is not one of the labels \(present)")
    }
    return binaryAveragePrecision(isPositive: yTrue.map { $0 == positiveLabel }, scores: s)
}

func binaryAveragePrecision(isPositive: [Bool], scores: [Double]) -> Double {
    let curve = precisionRecallCurve(isPositive: isPositive, scores: scores, dropIntermediate: false)
    let r = curve.recall, p = curve.precision
    let steps = (0..<r.count - 1).map { (r[$0 + 1] - r[$0]) * p[$0] }
    // The recall steps are negative in this order; −0.0 from rounding is clipped to 0.
    return max(0, -pairwiseSum(steps))
}

/// Average precision of each class against the rest, combined by `average`;
/// `sklearn.metrics.average_precision_score` with a (samples × classes) score matrix.
///
/// Column j scores the j-th of the sorted distinct labels of `yTrue`, so the matrix needs one column
/// per class present. `.macro` (the default) is the plain mean over classes, `.weighted` weights each
/// class by its support, `.micro` pools every (sample, class) cell into one binary problem. As in
/// scikit-learn, a `yTrue` with at most two labels is binary: a one-column matrix is read as scores
/// of label 1, wider matrices are an error.
public func averagePrecision<T: BinaryFloatingPoint>(yTrue: [Int], scores: [[T]], average: Average = .macro) throws -> Double {
    let function = "averagePrecision"
    try checkPaired(yTrue.count, scores.count, function, names: ("yTrue", "scores"))
    let matrix = try ScoreMatrix(scores, function, name: "scores")
    let classes = sortedUnique(yTrue)
    if classes.count <= 2 {
        guard matrix.columns == 1 else {
            throw MetricsError(.invalidShape, "\(function): yTrue is binary (\(classes)); pass the positive-class scores to averagePrecision(yTrue:scores:positiveLabel:)")
        }
        return try averagePrecision(yTrue: yTrue, scores: matrix.column(0))
    }
    guard matrix.columns == classes.count else {
        throw MetricsError(.invalidShape, "\(function): yTrue has \(classes.count) classes but scores has \(matrix.columns) columns")
    }
    return try oneVsRest(yTrue: yTrue, classes: classes, scores: matrix, average: average, function,
                         binaryScore: binaryAveragePrecision)
}
