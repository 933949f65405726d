// What a person should know about a table before trusting a model trained on it: missing values, duplicate
// rows, constant columns, the class balance, and rows shared between splits (leakage).
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
        return out
    }

    /// The checks as a report section.
    public func section(_ title: String = "Data quality") -> ApplicationReport.Section {
        var rows: [[String]] = [
            ["rows × columns", "\(rowCount) × \(columnCount)"],
            ["missing cells", missing.isEmpty ? "none" : missing.map { "\($0.column): \($0.count)" }.joined(separator: ", ")],
            ["duplicate rows", "\(duplicateRows)"],
            ["constant columns", constantColumns.isEmpty ? "none" : constantColumns.joined(separator: ", ")],
        ]
        if !classCounts.isEmpty {
            let total = max(classCounts.reduce(0) { $0 + $1.count }, 1)
            rows.append(["class balance", classCounts.map { "\($0.name) \($0.count) (\(String(format: "%.1f", 100 * Double($0.count) / Double(total)))%)" }
                .joined(separator: ", ")])
        }
        for leak in leakage { rows.append(["\(leak.split) rows seen in an earlier split", "\(leak.shared) of \(leak.of)"]) }
        let note = warnings.isEmpty ? "No problems found." : "Look at: " + warnings.joined(separator: "; ") + "."
        return ApplicationReport.Section(title, note: note, [.table(header: ["check", "result"], rows: rows)])
    }
}
