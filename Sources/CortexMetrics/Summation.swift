// Sums in NumPy's order. scikit-learn's metrics are NumPy reductions, and a float sum depends on the
// order of its terms; adding in the same order makes our results equal to scikit-learn's to the last
// bit, which matters where a result hinges on an exact zero (R² of a constant target).
import CortexCore

/// The sum of `values` in the order `np.add.reduce` uses on a contiguous float64 array: pairwise
/// halving above 128 terms, eight interleaved partial sums within a block, a plain loop below 8.
func pairwiseSum(_ values: [Double]) -> Double {
    blockSum(values, 0, values.count)
}

/// The sum of values[start ..< start + n] (indices into the whole array, so no slice is copied).
private func blockSum(_ values: [Double], _ start: Int, _ n: Int) -> Double {
    if n < 8 {
        var total = 0.0
        for i in start..<(start + n) { total += values[i] }
        return total
    }
    if n <= 128 {
        func a(_ i: Int) -> Double { values[start + i] }
        var r0 = a(0), r1 = a(1), r2 = a(2), r3 = a(3), r4 = a(4), r5 = a(5), r6 = a(6), r7 = a(7)
        var i = 8
        while i < n - n % 8 {
            r0 += a(i); r1 += a(i + 1); r2 += a(i + 2); r3 += a(i + 3)
            r4 += a(i + 4); r5 += a(i + 5); r6 += a(i + 6); r7 += a(i + 7)
            i += 8
        }
        var total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n { total += a(i); i += 1 }
        return total
    }
    var half = n / 2
    half -= half % 8
    return blockSum(values, start, half) + blockSum(values, start + half, n - half)
}

/// `np.mean`: the pairwise sum divided by the count.
func numpyMean(_ values: [Double]) -> Double { pairwiseSum(values) / Double(values.count) }

/// `np.average(values, weights:)`: Σ vᵢwᵢ / Σ wᵢ, both sums pairwise; nil when the weights sum to zero
/// (where NumPy raises ZeroDivisionError).
func numpyWeightedAverage(_ values: [Double], weights: [Double]) -> Double? {
    let scale = pairwiseSum(weights)
    guard scale != 0 else { return nil }
    return pairwiseSum(zip(values, weights).map { $0 * $1 }) / scale
}
