// How far predicted probabilities are from what happens: the Brier score and the reliability (calibration)
// curve, equal to scikit-learn's brier_score_loss and calibration_curve(strategy="uniform").
import CortexCore

/// Mean squared difference between the predicted probability of the positive class and the outcome (1 for
/// `positiveLabel`, 0 otherwise); `sklearn.metrics.brier_score_loss`. Throws a `MetricsError` for empty or
/// mismatched input or a probability outside [0, 1].
public func brierScore<T: BinaryFloatingPoint>(yTrue: [Int], probabilities: [T], positiveLabel: Int = 1) throws -> Double {
    try checkPaired(yTrue.count, probabilities.count, "brierScore")
    let p = try finiteDoubles(probabilities, "brierScore", name: "probabilities")
    if let bad = p.firstIndex(where: { $0 < 0 || $0 > 1 }) {
        throw MetricsError(.invalidValue, "brierScore: probabilities[\(bad)] is \(p[bad]), outside [0, 1]")
    }
    return numpyMean(zip(yTrue, p).map { label, q in
        let outcome: Double = label == positiveLabel ? 1 : 0
        return (outcome - q) * (outcome - q)
    })
}

/// A reliability curve: for each non-empty probability bin, the mean predicted probability and the share
/// of positives in it.
public struct CalibrationCurve: Sendable, Equatable {
    /// Share of positive outcomes per non-empty bin (scikit-learn's `prob_true`).
    public let fractionPositive: [Double]
    /// Mean predicted probability per non-empty bin (`prob_pred`).
    public let meanPredicted: [Double]
    /// Samples per non-empty bin.
    public let counts: [Int]
}

/// `sklearn.calibration.calibration_curve(y_true, y_prob, n_bins=bins, strategy="uniform")`: [0, 1] cut
/// into `bins` equal bins (a probability on an inner edge goes to the lower bin, 1.0 to the last), empty
/// bins left out.
public func calibrationCurve<T: BinaryFloatingPoint>(yTrue: [Int], probabilities: [T], bins: Int = 10,
                                                     positiveLabel: Int = 1) throws -> CalibrationCurve {
    try checkPaired(yTrue.count, probabilities.count, "calibrationCurve")
    guard bins >= 1 else { throw MetricsError(.invalidArgument, "calibrationCurve: bins must be at least 1, got \(bins)") }
    let p = try finiteDoubles(probabilities, "calibrationCurve", name: "probabilities")
    if let bad = p.firstIndex(where: { $0 < 0 || $0 > 1 }) {
        throw MetricsError(.invalidValue, "calibrationCurve: probabilities[\(bad)] is \(p[bad]), outside [0, 1]")
    }
    // scikit-learn's edges are np.linspace(0, 1, bins + 1), i × (1 / bins), and the bin np.searchsorted(edges[1:-1], p).
    let step = 1 / Double(bins)
    let inner = (1..<bins).map { Double($0) * step }
    var sums = [Double](repeating: 0, count: bins), positives = [Double](repeating: 0, count: bins)
    var counts = [Int](repeating: 0, count: bins)
    for (label, q) in zip(yTrue, p) {
        var bin = 0
        while bin < inner.count && inner[bin] < q { bin += 1 }
        sums[bin] += q
        positives[bin] += label == positiveLabel ? 1 : 0
        counts[bin] += 1
    }
    let used = counts.indices.filter { counts[$0] > 0 }
    return CalibrationCurve(fractionPositive: used.map { positives[$0] / Double(counts[$0]) },
                            meanPredicted: used.map { sums[$0] / Double(counts[$0]) }, counts: used.map { counts[$0] })
}
