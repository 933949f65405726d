// Spearman's rank correlation: how alike two orderings are, whatever the scale — the measure the saliency
// sanity checks (Adebayo et al., 2018) use to compare a trained model's attributions with a randomised one's.
import CortexCore

/// Spearman's ρ: Pearson's correlation of the two series' ranks, ties given their average rank, as
/// `scipy.stats.spearmanr`. Throws for empty, mismatched or non-finite input, and `.undefined` when either
/// series is constant (its ranks have no spread).
public func spearmanCorrelation<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) throws -> Double {
    try checkPaired(a.count, b.count, "spearmanCorrelation")
    let (x, y) = (averageRanks(try finiteDoubles(a, "spearmanCorrelation", name: "a")),
                  averageRanks(try finiteDoubles(b, "spearmanCorrelation", name: "b")))
    let (mx, my) = (x.reduce(0, +) / Double(x.count), y.reduce(0, +) / Double(y.count))
    var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
    for (u, v) in zip(x, y) {
        sxy += (u - mx) * (v - my); sxx += (u - mx) * (u - mx); syy += (v - my) * (v - my)
    }
    guard sxx > 0 && syy > 0 else { throw MetricsError(.undefined, "spearmanCorrelation: a constant series has no rank correlation") }
    return sxy / (sxx * syy).squareRoot()
}

/// Ranks from 1, tied values sharing the mean of the ranks they span.
func averageRanks(_ values: [Double]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
        var end = start
        while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
        let rank = Double(start + end) / 2 + 1
        for i in start...end { ranks[order[i]] = rank }
        start = end + 1
    }
    return ranks
}
