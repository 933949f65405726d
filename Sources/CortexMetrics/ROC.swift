// ROC curves and the area under them, equal to scikit-learn's roc_curve (drop_intermediate
// included), auc and roc_auc_score (binary, and multiclass one-vs-rest), without sample weights.
import CortexCore

/// A receiver operating characteristic curve: at `thresholds[i]`, samples scoring ≥ it are predicted
/// positive, giving false positive rate `fpr[i]` and true positive rate `tpr[i]`.
public struct ROCCurve: Sendable, Equatable {
    /// False positive rates, non-decreasing from 0 to 1.
    public let fpr: [Double]
    /// True positive rates, non-decreasing from 0 to 1.
    public let tpr: [Double]
    /// Decreasing; the first is +∞ (nothing predicted positive), the rest are distinct scores.
    public let thresholds: [Double]
}

/// The ROC curve of `scores` for `yTrue`; `sklearn.metrics.roc_curve`.
///
/// Each distinct score is a threshold, from the highest down; tied samples cross a threshold together,
/// so they make one diagonal step. The curve is prefixed with the point (0, 0) at threshold +∞. With
/// `dropIntermediate` (the default, as in scikit-learn) points that lie on a straight line between
/// their neighbours — where neither the false nor the true positive count changes slope — are
/// dropped; they do not change the curve or its area.
///
/// Positives are `yTrue == positiveLabel`; without one, `yTrue` must use labels {0, 1} or {−1, 1} and
/// 1 is positive. As in scikit-learn, a `yTrue` without negatives gives NaN false positive rates
/// and one without positives NaN true positive rates. Throws a `MetricsError` for empty or mismatched
/// input, non-finite scores, or labels that need a `positiveLabel`.
public func rocCurve<T: BinaryFloatingPoint>(yTrue: [Int], scores: [T], positiveLabel: Int? = nil,
                                             dropIntermediate: Bool = true) throws -> ROCCurve {
    let function = "rocCurve"
    try checkPaired(yTrue.count, scores.count, function, names: ("yTrue", "scores"))
    let s = try finiteDoubles(scores, function, name: "scores")
    return rocCurve(isPositive: try positiveMask(yTrue: yTrue, positiveLabel: positiveLabel, function),
                    scores: s, dropIntermediate: dropIntermediate)
}

func rocCurve(isPositive: [Bool], scores: [Double], dropIntermediate: Bool) -> ROCCurve {
    var counts = ThresholdCounts(isPositive: isPositive, scores: scores)
    let n = counts.thresholds.count
    if dropIntermediate && n > 2 {
        // A point is kept when the second difference of either count is non-zero: a corner.
        func bends(_ v: [Double], _ i: Int) -> Bool { (v[i + 1] - v[i]) - (v[i] - v[i - 1]) != 0 }
        let kept = [0] + (1..<n - 1).filter { bends(counts.falsePositives, $0) || bends(counts.truePositives, $0) } + [n - 1]
        counts.keep(kept)
    }
    let fps = [0] + counts.falsePositives, tps = [0] + counts.truePositives
    let negatives = fps.last!, positives = tps.last!
    return ROCCurve(fpr: fps.map { negatives > 0 ? $0 / negatives : .nan },
                    tpr: tps.map { positives > 0 ? $0 / positives : .nan },
                    thresholds: [.infinity] + counts.thresholds)
}

/// Area under the curve through the points (x, y) by the trapezoidal rule, Σᵢ (xᵢ₊₁ − xᵢ)(yᵢ + yᵢ₊₁)/2;
/// `sklearn.metrics.auc`. `x` must be monotonic; if it decreases, the area of the reversed curve is
/// returned (so it is positive for a positive y). Throws a `MetricsError` for fewer than two points,
/// mismatched lengths or an `x` that goes both up and down.
public func auc<T: BinaryFloatingPoint>(x: [T], y: [T]) throws -> Double {
    let function = "auc"
    try checkPaired(x.count, y.count, function, names: ("x", "y"))
    guard x.count >= 2 else { throw MetricsError(.invalidArgument, "\(function): at least 2 points are needed, got \(x.count)") }
    return try trapezoidArea(x: x.map { Double($0) }, y: y.map { Double($0) }, function)
}

func trapezoidArea(x: [Double], y: [Double], _ function: String) throws -> Double {
    let dx = zip(x.dropFirst(), x).map { $0 - $1 }
    var direction = 1.0
    if dx.contains(where: { $0 < 0 }) {
        guard dx.allSatisfy({ $0 <= 0 }) else {
            throw MetricsError(.invalidValue, "\(function): x is neither increasing nor decreasing: \(x)")
        }
        direction = -1
    }
    let areas = dx.indices.map { i in dx[i] * (y[i + 1] + y[i]) / 2.0 }
    return direction * pairwiseSum(areas)
}

/// Area under the ROC curve of a binary problem; `sklearn.metrics.roc_auc_score` with one score per
/// sample. The positive class is the greater of the two labels in `yTrue`; AUC is the probability that
/// a random positive scores above a random negative, ties counting one half.
///
/// Throws a `MetricsError` of kind `.undefined` when `yTrue` holds one class (scikit-learn returns NaN
/// with a warning), and for more than two classes (use the probability-matrix overload), empty or
/// mismatched input or non-finite scores.
public func rocAUC<T: BinaryFloatingPoint>(yTrue: [Int], scores: [T]) throws -> Double {
    let function = "rocAUC"
    try checkPaired(yTrue.count, scores.count, function, names: ("yTrue", "scores"))
    let s = try finiteDoubles(scores, function, name: "scores")
    let classes = sortedUnique(yTrue)
    guard classes.count <= 2 else {
        throw MetricsError(.invalidShape, "\(function): yTrue has \(classes.count) classes; pass a (samples × classes) probability matrix for one-vs-rest AUC")
    }
    let area = binaryAUC(isPositive: yTrue.map { $0 == classes.last! }, scores: s)
    guard !area.isNaN else {
        throw MetricsError(.undefined, "\(function): ROC AUC is undefined when yTrue holds only the class \(classes[0])")
    }
    return area
}

/// AUC of one binary problem, NaN when it has one class.
func binaryAUC(isPositive: [Bool], scores: [Double]) -> Double {
    let positives = isPositive.reduce(0) { $0 + ($1 ? 1 : 0) }
    guard positives > 0 && positives < isPositive.count else { return .nan }
    let curve = rocCurve(isPositive: isPositive, scores: scores, dropIntermediate: true)
    return (try? trapezoidArea(x: curve.fpr, y: curve.tpr, "rocAUC")) ?? .nan
}

/// One-vs-rest ROC AUC of a multiclass problem; `sklearn.metrics.roc_auc_score(multi_class='ovr')`.
///
/// `probabilities` has one row per sample and one column per class, column j for the j-th of the
/// sorted distinct labels of `yTrue` (or of `labels`, which must be ascending, unique and cover
/// `yTrue`); each row must sum to 1 (within NumPy's `allclose` tolerance). Each class is scored
/// against the rest by its column, then `average` combines them: `.macro` (the default) is the plain
/// mean, `.weighted` weights each class by its support, `.micro` pools every (sample, class) cell.
///
/// Throws a `MetricsError` for rows not summing to 1, a wrong column count, `.binary` averaging,
/// and a class scored against the rest that has no sample in `yTrue` (its AUC is undefined; under
/// `.weighted` it has weight zero and counts as 0, as in scikit-learn). A one-column matrix is read
/// as binary scores; two columns are an error, as in scikit-learn: pass column 1 as binary scores.
public func rocAUC<T: BinaryFloatingPoint>(yTrue: [Int], probabilities: [[T]], average: Average = .macro,
                                           labels: [Int]? = nil) throws -> Double {
    let function = "rocAUC"
    try checkPaired(yTrue.count, probabilities.count, function, names: ("yTrue", "probabilities"))
    let matrix = try ScoreMatrix(probabilities, function)
    if matrix.columns == 1 && labels == nil { return try rocAUC(yTrue: yTrue, scores: matrix.column(0)) }
    guard matrix.columns > 2 else {
        throw MetricsError(.invalidShape, "\(function): a two-column matrix is a binary problem; pass the positive-class column to rocAUC(yTrue:scores:)")
    }
    for i in 0..<matrix.rows {
        let sum = pairwiseSum(Array(matrix.values[i * matrix.columns ..< (i + 1) * matrix.columns]))
        guard abs(1 - sum) <= 1e-8 + 1e-5 * abs(sum) else {
            throw MetricsError(.invalidValue, "\(function): probabilities row \(i) sums to \(sum), not 1; one-vs-rest AUC needs class probabilities")
        }
    }
    let classes: [Int]
    if let labels {
        try checkColumnLabels(labels, columns: matrix.columns, yTrue: yTrue, function)
        classes = labels
    } else {
        classes = sortedUnique(yTrue)
        guard classes.count == matrix.columns else {
            throw MetricsError(.invalidShape, "\(function): yTrue has \(classes.count) classes but probabilities has \(matrix.columns) columns; pass all the class labels through `labels`")
        }
    }
    return try oneVsRest(yTrue: yTrue, classes: classes, scores: matrix, average: average, function,
                         binaryScore: binaryAUC)
}
