// Log loss (cross-entropy) of predicted class probabilities, equal to sklearn.metrics.log_loss
// (scikit-learn 1.9: probabilities clipped to [ε, 1 − ε], rows used as given, no renormalisation).
import CortexCore
import Foundation

/// Mean negative log-likelihood of the true classes, −(1/n) Σᵢ log pᵢ,yᵢ;
/// `sklearn.metrics.log_loss` with a (samples × classes) probability matrix.
///
/// Column j is the probability of the j-th of the sorted distinct labels of `yTrue` (or of `labels`,
/// which lets a class be absent from `yTrue`; they are sorted and must include every label of
/// `yTrue`). A one-column matrix holds the probability of the greater of two labels. Each probability
/// is first clipped to [ε, 1 − ε] with ε the machine epsilon of `T` — so Float input clips at
/// 1.19e-7 and Double at 2.2e-16, exactly as scikit-learn does for float32 and float64 arrays. Rows
/// are not renormalised (scikit-learn only warns when they do not sum to one).
///
/// Throws a `MetricsError` for empty or mismatched input, a probability outside [0, 1] or not finite,
/// fewer than two classes, or a column count that does not match the classes.
public func logLoss<T: BinaryFloatingPoint>(yTrue: [Int], probabilities: [[T]], labels: [Int]? = nil) throws -> Double {
    let function = "logLoss"
    try checkPaired(yTrue.count, probabilities.count, function, names: ("yTrue", "probabilities"))
    let columns = probabilities[0].count
    if let bad = probabilities.firstIndex(where: { $0.count != columns }) {
        throw MetricsError(.invalidShape, "\(function): probabilities row \(bad) has \(probabilities[bad].count) entries but row 0 has \(columns)")
    }
    for (i, row) in probabilities.enumerated() {
        if let p = row.first(where: { !$0.isFinite || $0 < 0 || $0 > 1 }) {
            throw MetricsError(.invalidValue, "\(function): probabilities row \(i) holds \(p), outside [0, 1]")
        }
    }
    let classes = try logLossClasses(yTrue: yTrue, labels: labels, function)
    let rows = columns == 1 ? probabilities.map { [1 - $0[0], $0[0]] } : probabilities
    guard classes.count == rows[0].count else {
        throw MetricsError(.invalidShape, "\(function): \(classes.count) classes \(classes) but probabilities has \(columns) columns")
    }
    let column = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    let eps = T.ulpOfOne
    let losses = zip(yTrue, rows).map { label, row in -log(Double(min(max(row[column[label]!], eps), 1 - eps))) }
    return numpyMean(losses)
}

/// Log loss of a binary problem from the probability of the positive class — the greater of the two
/// labels — for each sample; `sklearn.metrics.log_loss` with 1-D probabilities. The negative class
/// gets 1 − p computed in `T`, then both are clipped as in `logLoss(yTrue:probabilities:labels:)`.
public func logLoss<T: BinaryFloatingPoint>(yTrue: [Int], probabilities: [T], labels: [Int]? = nil) throws -> Double {
    try checkPaired(yTrue.count, probabilities.count, "logLoss", names: ("yTrue", "probabilities"))
    return try logLoss(yTrue: yTrue, probabilities: probabilities.map { [$0] }, labels: labels)
}

/// The sorted classes the probability columns stand for: scikit-learn's LabelBinarizer fitted on
/// `labels` when given, else on `yTrue`.
private func logLossClasses(yTrue: [Int], labels: [Int]?, _ function: String) throws -> [Int] {
    guard let labels else {
        let classes = sortedUnique(yTrue)
        guard classes.count >= 2 else {
            throw MetricsError(.undefined, "\(function): yTrue holds only the label \(classes[0]); pass every class label through `labels`")
        }
        return classes
    }
    let classes = sortedUnique(labels)
    let known = Set(classes)
    if let stray = yTrue.first(where: { !known.contains($0) }) {
        throw MetricsError(.invalidArgument, "\(function): yTrue contains \(stray), which is not in labels \(labels)")
    }
    guard classes.count >= 2 else {
        throw MetricsError(.invalidArgument, "\(function): labels must name at least two classes, got \(labels)")
    }
    return classes
}
