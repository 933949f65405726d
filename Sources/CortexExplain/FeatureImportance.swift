// What a model on a table relies on: permutation importance (how much the score falls when one column is
// shuffled) and partial dependence (how the average prediction moves as one column is set to each value).
// Both treat the model as a black box, so they apply to any model that scores rows.
import CortexCore
import CortexEngine

/// One feature's permutation importance.
public struct FeatureImportance: Sendable {
    /// The column's index.
    public let feature: Int
    /// The score with nothing shuffled minus the score with this column shuffled, for each repeat.
    public let drops: [Double]
    /// The mean of `drops` (scikit-learn's `importances_mean`).
    public var meanDrop: Double { drops.reduce(0, +) / Double(drops.count) }
    /// The population standard deviation of `drops` (scikit-learn's `importances_std`).
    public var standardDeviation: Double {
        let mean = meanDrop
        return (drops.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(drops.count)).squareRoot()
    }
}

extension Attribution {
    /// Permutation importance (Breiman, 2001; scikit-learn's `permutation_importance`): for each column of
    /// `rows` (N, F), the fall in `score` when that column's values are shuffled across rows, `repeats` times.
    /// `score` maps rows to a figure where higher is better (accuracy, R², minus a loss) for fixed targets the
    /// closure holds. Returned in column order; sort by `meanDrop` for a ranking.
    public static func permutationImportance(rows: Tensor, repeats: Int = 5, generator: RandomGenerator,
                                             score: (Tensor) -> Double) -> [FeatureImportance] {
        require(rows.rank == 2 && rows.shape[0] >= 2, "Attribution.permutationImportance: rows must be (N ≥ 2, F), got shape \(rows.shape)")
        require(repeats >= 1, "Attribution.permutationImportance: repeats must be positive, got \(repeats)")
        let (n, f) = (rows.shape[0], rows.shape[1])
        let values = rows.detach().scalars
        let reference = score(rows.detach())
        return (0..<f).map { column in
            let drops = (0..<repeats).map { _ -> Double in
                var order = Array(0..<n)
                // Fisher–Yates with the caller's generator, so the importances are reproducible.
                for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
                var shuffled = values
                for (row, source) in order.enumerated() { shuffled[row * f + column] = values[source * f + column] }
                return reference - score(Tensor(shuffled, shape: [n, f], device: rows.device))
            }
            return FeatureImportance(feature: column, drops: drops)
        }
    }

    /// Partial dependence (Friedman, 2001): for each value v of `grid`, the mean over `rows` of output column
    /// `output` of `model` with column `feature` set to v in every row. By default the grid is `points` values
    /// evenly spaced between the column's 5th and 95th percentiles, as scikit-learn's.
    public static func partialDependence(_ model: Model, rows: Tensor, feature: Int, output: Int = 0, grid: [Float]? = nil,
                                         points: Int = 20) -> [(value: Float, average: Float)] {
        let op = "Attribution.partialDependence"
        require(rows.rank == 2 && rows.shape[0] >= 1, "\(op): rows must be (N, F), got shape \(rows.shape)")
        let (n, f) = (rows.shape[0], rows.shape[1])
        require(feature >= 0 && feature < f, "\(op): feature \(feature) is outside the \(f) columns")
        let values = rows.detach().scalars
        let grid = grid ?? {
            require(points >= 2, "\(op): points must be at least 2, got \(points)")
            let column = (0..<n).map { values[$0 * f + feature] }.sorted()
            let (low, high) = (percentile(column, 0.05), percentile(column, 0.95))
            return (0..<points).map { low + (high - low) * Float($0) / Float(points - 1) }
        }()
        return grid.map { v in
            var changed = values
            for row in 0..<n { changed[row * f + feature] = v }
            let outputs = noGrad { selectedOutputs(model(Tensor(changed, shape: [n, f], device: rows.device)), Array(repeating: output, count: n), op) }
            return (value: v, average: noGrad { outputs.mean() }.item())
        }
    }
}

/// The p-quantile of sorted values with linear interpolation (NumPy's default).
func percentile(_ sorted: [Float], _ p: Double) -> Float {
    let position = p * Double(sorted.count - 1)
    let low = Int(position), high = min(low + 1, sorted.count - 1)
    return sorted[low] + (sorted[high] - sorted[low]) * Float(position - Double(low))
}
