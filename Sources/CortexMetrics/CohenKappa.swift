// Cohen's kappa: agreement between two labelings corrected for the agreement expected by chance,
// equal to sklearn.metrics.cohen_kappa_score without sample weights.
import CortexCore

/// How disagreements between classes i and j are weighted in Cohen's kappa; scikit-learn's `weights=`.
public enum KappaWeighting: Sendable {
    /// Every disagreement counts 1 (`weights=None`).
    case unweighted
    /// |i − j|, for ordered classes (`weights='linear'`).
    case linear
    /// (i − j)², for ordered classes (`weights='quadratic'`).
    case quadratic
}

/// Cohen's kappa κ = 1 − Σ wᵢⱼ Oᵢⱼ / Σ wᵢⱼ Eᵢⱼ; `sklearn.metrics.cohen_kappa_score`.
///
/// O is the confusion matrix of `yPred` against `yTrue` over `labels` (see `confusionMatrix`), E the
/// matrix expected if the two were independent, Eᵢⱼ = (column sum i)(row sum j) / n, and w the
/// disagreement weights (0 on the diagonal). For unweighted kappa this is (pₒ − pₑ) / (1 − pₑ). The
/// score is symmetric in its two arguments. When it is undefined — no sample has both labels in
/// `labels`, or chance agreement is total — it returns `replaceUndefinedBy` (NaN, as in scikit-learn).
public func cohenKappa(yTrue: [Int], yPred: [Int], labels: [Int]? = nil, weighting: KappaWeighting = .unweighted,
                       replaceUndefinedBy: Double = .nan) throws -> Double {
    let observed = try confusionMatrix(yTrue: yTrue, yPred: yPred, labels: labels).counts.map { $0.map(Double.init) }
    let k = observed.count
    let rowSums = observed.map { pairwiseSum($0) }
    let columnSums = (0..<k).map { j in pairwiseSum(observed.map { $0[j] }) }
    let total = pairwiseSum(columnSums)
    guard total != 0 else { return replaceUndefinedBy }
    func weight(_ i: Int, _ j: Int) -> Double {
        switch weighting {
        case .unweighted: i == j ? 0 : 1
        case .linear: Double(abs(j - i))
        case .quadratic: Double((j - i) * (j - i))
        }
    }
    var weightedObserved = [Double](), weightedExpected = [Double]()
    for i in 0..<k {
        for j in 0..<k {
            weightedObserved.append(weight(i, j) * observed[i][j])
            weightedExpected.append(weight(i, j) * (columnSums[i] * rowSums[j] / total))
        }
    }
    let expected = pairwiseSum(weightedExpected)
    guard expected != 0 else { return replaceUndefinedBy }
    return 1 - pairwiseSum(weightedObserved) / expected
}
