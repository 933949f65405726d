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
        // Per-column figures in row-major passes (each column's values summed in row order, as before), so a
        // 70,000 × 784 image set is walked twice instead of once per column with a copy of each column.
        let width = columns.count
        var missingCounts = [Int](repeating: 0, count: width), finiteCounts = [Int](repeating: 0, count: width)
        var sums = [Double](repeating: 0, count: width)
        var minima = [Double](repeating: .infinity, count: width), maxima = [Double](repeating: -.infinity, count: width)
        var constant = [Bool](repeating: !rows.isEmpty, count: width)
        for row in rows {
            for j in 0..<width {
                let v = row[j]
                if v.bitPattern != rows[0][j].bitPattern { constant[j] = false }
                guard v.isFinite else { missingCounts[j] += 1; continue }
                finiteCounts[j] += 1
                sums[j] += v
                minima[j] = Swift.min(minima[j], v); maxima[j] = Swift.max(maxima[j], v)
            }
        }
        let means = (0..<width).map { sums[$0] / Double(finiteCounts[$0]) }
        var squares = [Double](repeating: 0, count: width)
        for row in rows {
            for j in 0..<width where row[j].isFinite { squares[j] += (row[j] - means[j]) * (row[j] - means[j]) }
        }
        missing = columns.indices.compactMap { missingCounts[$0] > 0 ? (columns[$0], missingCounts[$0]) : nil }
        constantColumns = columns.indices.filter { constant[$0] }.map { columns[$0] }
        featureScales = columns.indices.map { j in
            finiteCounts[j] == 0 ? (columns[j], .nan, .nan, .nan)
                : (columns[j], minima[j], maxima[j], (squares[j] / Double(finiteCounts[j])).squareRoot())
        }
        // Equal rows by bit pattern (NaN cells equal to each other), found through their hashes: rows that hash alike
        // are compared in full, so nothing is stored per row but its index.
        func same(_ a: Int, _ b: Int, withLabels: Bool) -> Bool {
            zip(rows[a], rows[b]).allSatisfy { $0.bitPattern == $1.bitPattern } && (!withLabels || labels.map { $0[a] == $0[b] } ?? true)
        }
        func hash(_ i: Int, withLabels: Bool) -> Int {
            var hasher = Hasher()
            for v in rows[i] { hasher.combine(v.bitPattern) }
            if withLabels, let labels { hasher.combine(labels[i]) }
            return hasher.finalize()
        }
        var seen: [Int: [Int]] = [:]
        var duplicates = 0
        for i in rows.indices {
            let h = hash(i, withLabels: true)
            if seen[h]?.contains(where: { same($0, i, withLabels: true) }) == true { duplicates += 1 } else { seen[h, default: []].append(i) }
        }
        duplicateRows = duplicates
        if let labels {
            let classes = max(classNames.count, (labels.max() ?? -1) + 1)
            classCounts = (0..<classes).map { c in (c < classNames.count ? classNames[c] : "class \(c)", labels.filter { $0 == c }.count) }
        } else {
            classCounts = []
        }
        var earlier: [Int: [Int]] = [:]
        var leaks: [(String, Int, Int)] = []
        for (index, split) in splits.enumerated() {
            if index > 0 {
                let shared = split.indices.filter { i in earlier[hash(i, withLabels: false)]?.contains { same($0, i, withLabels: false) } == true }.count
                leaks.append((split.name, shared, split.indices.count))
            }
            for i in split.indices { earlier[hash(i, withLabels: false), default: []].append(i) }
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

    /// A data section's note: "No problems found." or "Look at: " and the warnings.
    public static func note(_ warnings: [String]) -> String {
        warnings.isEmpty ? "No problems found." : "Look at: " + warnings.joined(separator: "; ") + "."
    }

    /// The checks as a report section.
    public func section(_ title: String = "Data quality") -> ApplicationReport.Section {
        let rows = rows()
        let note = Self.note(warnings)
        return ApplicationReport.Section(title, note: note, [.table(header: ["check", "result"], rows: rows)])
    }
}
