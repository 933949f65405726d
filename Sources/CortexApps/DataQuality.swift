// What a person should know about a table before trusting a model trained on it: missing values, duplicate
// rows, constant columns, feature scales, the class balance (with the class weights that would even it), and rows
// shared between splits (leakage).
import Cortex
import CortexReport
import Foundation

public struct DataQuality: Sendable {
    public let rowCount: Int, columnCount: Int
    /// Missing (non-finite) cells per column, for the columns that have any.
    public let missing: [(column: String, count: Int)]
    /// Rows equal to an earlier row in every column (and in the label, when there is one).
    public let duplicateRows: Int
    public let constantColumns: [String]
    /// Rows per class, in class order; empty for a regression target.
    public let classCounts: [(name: String, count: Int)]
    /// For each later split, how many of its rows also occur (all columns equal) in an earlier split.
    public let leakage: [(split: String, shared: Int, of: Int)]
    /// Each column's smallest and largest finite value and standard deviation.
    public let featureScales: [(column: String, minimum: Double, maximum: Double, standardDeviation: Double)]

    /// Largest class over smallest (nil without labels or with an empty class).
    public var imbalance: Double? {
        let counts = classCounts.map(\.count)
        guard let low = counts.min(), let high = counts.max(), low > 0 else { return nil }
        return Double(high) / Double(low)
    }

    /// scikit-learn's "balanced" class weights, n / (classes × count): weighting the loss by them makes every class
    /// count as much as the others.
    public var suggestedClassWeights: [(name: String, weight: Double)] {
        let total = classCounts.reduce(0) { $0 + $1.count }
        return classCounts.map { ($0.name, $0.count > 0 ? Double(total) / Double(classCounts.count * $0.count) : 0) }
    }

    /// Largest standard deviation over the smallest non-zero one: above 100, features on such different scales need
    /// standardising before a network sees them.
    public var scaleSpread: Double? {
        let spreads = featureScales.map(\.standardDeviation).filter { $0 > 0 && $0.isFinite }
        guard let low = spreads.min(), let high = spreads.max() else { return nil }
        return high / low
    }

    /// `rows`: the feature rows (NaN for a missing cell); `labels`: class indices named by `classNames`;
    /// `splits`: named row-index sets in the order the data is used (train first).
    public init(rows: [[Double]], columns: [String], labels: [Int]? = nil, classNames: [String] = [],
                splits: [(name: String, indices: [Int])] = []) {
        precondition(rows.allSatisfy { $0.count == columns.count }, "DataQuality: every row needs \(columns.count) cells")
        rowCount = rows.count
        columnCount = columns.count
        missing = columns.indices.compactMap { j in
            let count = rows.reduce(0) { $0 + ($1[j].isFinite ? 0 : 1) }
            return count > 0 ? (columns[j], count) : nil
        }
        // Bit patterns, so that NaN cells compare equal to each other and rows hash exactly.
        func key(_ i: Int) -> [UInt64] { rows[i].map(\.bitPattern) + (labels.map { [UInt64(bitPattern: Int64($0[i]))] } ?? []) }
        var seen = Set<[UInt64]>()
        duplicateRows = rows.indices.reduce(0) { $0 + (seen.insert(key($1)).inserted ? 0 : 1) }
        constantColumns = columns.indices.filter { j in
            guard let first = rows.first?[j] else { return false }
            return rows.allSatisfy { $0[j].bitPattern == first.bitPattern }
        }.map { columns[$0] }
        if let labels {
            let classes = max(classNames.count, (labels.max() ?? -1) + 1)
            classCounts = (0..<classes).map { c in (c < classNames.count ? classNames[c] : "class \(c)", labels.filter { $0 == c }.count) }
        } else {
            classCounts = []
        }
        featureScales = columns.indices.map { j in
            let values = rows.map { $0[j] }.filter(\.isFinite)
            guard !values.isEmpty else { return (columns[j], .nan, .nan, .nan) }
            let mean = values.reduce(0, +) / Double(values.count)
            let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
            return (columns[j], values.min()!, values.max()!, spread)
        }
        var earlier = Set<[UInt64]>()
        var leaks: [(String, Int, Int)] = []
        for (index, split) in splits.enumerated() {
            if index > 0 {
                let shared = split.indices.filter { earlier.contains(rows[$0].map(\.bitPattern)) }.count
                leaks.append((split.name, shared, split.indices.count))
            }
            for i in split.indices { earlier.insert(rows[i].map(\.bitPattern)) }
        }
        leakage = leaks
    }

    /// Findings a reader should act on, in words; empty when the table is clean.
    public var warnings: [String] {
        var out: [String] = []
        if !missing.isEmpty { out.append("\(missing.reduce(0) { $0 + $1.count }) missing cells in \(missing.count) columns") }
        if duplicateRows > 0 { out.append("\(duplicateRows) duplicate rows") }
        if !constantColumns.isEmpty { out.append("constant columns: \(constantColumns.joined(separator: ", "))") }
        for leak in leakage where leak.shared > 0 { out.append("\(leak.shared) of \(leak.of) \(leak.split) rows also occur in an earlier split") }
        if let imbalance, imbalance > 3 {
            out.append(String(format: "classes are imbalanced (largest / smallest %.1f); balanced class weights: ", imbalance)
                       + suggestedClassWeights.map { String(format: "%@ %.2f", $0.name, $0.weight) }.joined(separator: ", "))
        }
        if let spread = scaleSpread, spread > 100, let wide = featureScales.max(by: { $0.standardDeviation < $1.standardDeviation }),
           let narrow = featureScales.filter({ $0.standardDeviation > 0 }).min(by: { $0.standardDeviation < $1.standardDeviation }) {
            out.append(String(format: "feature scales differ %.0f× (std of %@ %.3g, of %@ %.3g): standardise the features", spread,
                              wide.column, wide.standardDeviation, narrow.column, narrow.standardDeviation))
        }
        return out
    }

    /// The check results as rows of (check, result); `isImage` leaves out the per-column checks (constant columns and
    /// scales), which say nothing useful about pixels.
    public func rows(isImage: Bool = false) -> [[String]] {
        var rows: [[String]] = [
            ["rows × columns", "\(rowCount) × \(columnCount)"],
            ["missing cells", missing.isEmpty ? "none" : missing.map { "\($0.column): \($0.count)" }.joined(separator: ", ")],
            [isImage ? "duplicate images" : "duplicate rows", "\(duplicateRows)"],
        ]
        if !isImage {
            rows.append(["constant columns", constantColumns.isEmpty ? "none" : constantColumns.joined(separator: ", ")])
            if let spread = scaleSpread { rows.append(["feature scale spread (largest / smallest std)", String(format: "%.1f×", spread)]) }
        }
        if !classCounts.isEmpty {
            let total = max(classCounts.reduce(0) { $0 + $1.count }, 1)
            rows.append(["class balance", classCounts.map { "\($0.name) \($0.count) (\(String(format: "%.1f", 100 * Double($0.count) / Double(total)))%)" }
                .joined(separator: ", ")])
            if let imbalance, imbalance > 3 {
                rows.append(["balanced class weights", suggestedClassWeights.map { String(format: "%@ %.2f", $0.name, $0.weight) }.joined(separator: ", ")])
            }
        }
        for leak in leakage { rows.append(["\(leak.split) \(isImage ? "images" : "rows") seen in an earlier split", "\(leak.shared) of \(leak.of)"]) }
        return rows
    }

    /// The checks as a report section.
    public func section(_ title: String = "Data quality") -> ApplicationReport.Section {
        let rows = rows()
        let note = warnings.isEmpty ? "No problems found." : "Look at: " + warnings.joined(separator: "; ") + "."
        return ApplicationReport.Section(title, note: note, [.table(header: ["check", "result"], rows: rows)])
    }
}
