// Regression metrics: mean squared / root mean squared / mean absolute error and R², equal to
// scikit-learn's functions of the same names for one output and no sample weights.
import CortexCore

/// Both targets as Double, checked for equal non-zero length and finite values.
private func regressionPair<T: BinaryFloatingPoint>(_ yTrue: [T], _ yPred: [T],
                                                    _ function: String) throws -> ([Double], [Double]) {
    try checkPaired(yTrue.count, yPred.count, function)
    return (try finiteDoubles(yTrue, function, name: "yTrue"), try finiteDoubles(yPred, function, name: "yPred"))
}

/// Mean squared error, (1/n) Σᵢ (yᵢ − ŷᵢ)²; `sklearn.metrics.mean_squared_error`.
///
/// Computed in Double (for Float input scikit-learn computes in float32, so the two agree to float32
/// precision). Throws a `MetricsError` for empty or mismatched input or a non-finite value.
public func meanSquaredError<T: BinaryFloatingPoint>(yTrue: [T], yPred: [T]) throws -> Double {
    let (t, p) = try regressionPair(yTrue, yPred, "meanSquaredError")
    return numpyMean(zip(t, p).map { ($0 - $1) * ($0 - $1) })
}

/// Root mean squared error, √MSE; `sklearn.metrics.root_mean_squared_error`.
public func rootMeanSquaredError<T: BinaryFloatingPoint>(yTrue: [T], yPred: [T]) throws -> Double {
    let (t, p) = try regressionPair(yTrue, yPred, "rootMeanSquaredError")
    return numpyMean(zip(t, p).map { ($0 - $1) * ($0 - $1) }).squareRoot()
}

/// Mean absolute error, (1/n) Σᵢ |yᵢ − ŷᵢ|; `sklearn.metrics.mean_absolute_error`.
public func meanAbsoluteError<T: BinaryFloatingPoint>(yTrue: [T], yPred: [T]) throws -> Double {
    let (t, p) = try regressionPair(yTrue, yPred, "meanAbsoluteError")
    return numpyMean(zip(t, p).map { abs($0 - $1) })
}

/// Coefficient of determination, R² = 1 − Σᵢ (yᵢ − ŷᵢ)² / Σᵢ (yᵢ − ȳ)²; `sklearn.metrics.r2_score`.
///
/// When `yTrue` is constant the denominator is zero. With `forceFinite` (scikit-learn's default) the
/// score is then 1.0 if the predictions are perfect and 0.0 otherwise; without it the formula is
/// applied as is, giving NaN (0/0) or −∞. R² of fewer than two samples is undefined (scikit-learn
/// returns NaN with a warning): it throws a `MetricsError` of kind `.undefined`.
public func r2Score<T: BinaryFloatingPoint>(yTrue: [T], yPred: [T], forceFinite: Bool = true) throws -> Double {
    let (t, p) = try regressionPair(yTrue, yPred, "r2Score")
    guard t.count >= 2 else {
        throw MetricsError(.undefined, "r2Score: R² is not defined for fewer than two samples (got \(t.count))")
    }
    let residual = pairwiseSum(zip(t, p).map { ($0 - $1) * ($0 - $1) })
    let mean = numpyMean(t)
    let total = pairwiseSum(t.map { ($0 - mean) * ($0 - mean) })
    guard forceFinite else { return 1 - residual / total }
    if residual == 0 { return 1 }
    if total == 0 { return 0 }
    return 1 - residual / total
}
