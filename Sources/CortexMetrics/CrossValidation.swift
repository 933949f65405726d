// Summarising cross-validation: the mean and spread of each metric over folds, and a text table.
// It is data-agnostic — splitting data into folds belongs to the data layer — and takes each fold's
// metrics as a dictionary.
import CortexCore
import Foundation

/// Each metric's values over the folds with their mean and standard deviation.
public struct CrossValidationSummary: Sendable, Equatable, CustomStringConvertible {
    /// One metric over the folds.
    public struct Statistic: Sendable, Equatable {
        /// The metric in each fold, in fold order.
        public let values: [Double]
        /// The arithmetic mean, as `np.mean`.
        public let mean: Double
        /// The population standard deviation √((1/k) Σ (xᵢ − mean)²), ddof = 0 — NumPy's default
        /// `np.std`, not the sample (k − 1) formula.
        public let standardDeviation: Double

        init(_ values: [Double]) {
            self.values = values
            mean = numpyMean(values)
            let m = mean
            standardDeviation = numpyMean(values.map { ($0 - m) * ($0 - m) }).squareRoot()
        }
    }

    public let foldCount: Int
    /// Statistics by metric name.
    public let metrics: [String: Statistic]

    /// Metric names in alphabetical order, the order of `table()`.
    public var metricNames: [String] { metrics.keys.sorted() }

    public subscript(metric: String) -> Statistic? { metrics[metric] }

    /// Summarises per-fold metric dictionaries. Every fold must report the same metric names. Throws a
    /// `MetricsError` when there are no folds, a fold has no metrics, or the folds disagree on names.
    public init(folds: [[String: Double]]) throws {
        guard let first = folds.first else { throw MetricsError(.emptyInput, "CrossValidationSummary: no folds") }
        guard !first.isEmpty else { throw MetricsError(.emptyInput, "CrossValidationSummary: fold 0 has no metrics") }
        let names = Set(first.keys)
        for (i, fold) in folds.enumerated() where Set(fold.keys) != names {
            throw MetricsError(.invalidArgument, "CrossValidationSummary: fold \(i) reports \(fold.keys.sorted()) but fold 0 reports \(names.sorted())")
        }
        foldCount = folds.count
        metrics = Dictionary(uniqueKeysWithValues: names.map { name in (name, Statistic(folds.map { $0[name]! })) })
    }

    /// A table with a row per metric: its mean, standard deviation and each fold's value, to `digits`
    /// decimals.
    public func table(digits: Int = 4) -> String {
        let header = ["metric", "mean", "std"] + (0..<foldCount).map { "fold \($0)" }
        let rows = metricNames.map { name -> [String] in
            let s = metrics[name]!
            return [name] + ([s.mean, s.standardDeviation] + s.values).map { String(format: "%.\(digits)f", $0) }
        }
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell   // names left-aligned, numbers right-aligned
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    public var description: String { table() }
}

/// Runs `evaluate` for each fold index 0..<`folds` and summarises the metrics it returns — a small
/// driver for k-fold cross-validation that leaves splitting and training to `evaluate`.
/// Throws what `evaluate` throws, or a `MetricsError` if `folds` < 1 or the folds disagree on names.
public func crossValidate(folds: Int, _ evaluate: (_ fold: Int) throws -> [String: Double]) throws -> CrossValidationSummary {
    guard folds >= 1 else { throw MetricsError(.invalidArgument, "crossValidate: folds must be at least 1, got \(folds)") }
    return try CrossValidationSummary(folds: (0..<folds).map(evaluate))
}
