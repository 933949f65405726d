// Turns tokenized CSV fields into a CSVTable: checks the rows against the header, types each column,
// finds missing cells, encodes categories and the target, and fills the feature matrix in place.
import Foundation

struct CSVTableBuilder {
    private let tokens: CSVTokens
    private let options: CSVOptions
    private let names: [String]
    private let rows: Int
    private var columns: Int { names.count }
    private let missingMarkers: [[UInt8]]
    private let longestMarker: Int

    init(tokens: CSVTokens, options: CSVOptions) throws {
        guard tokens.rowCount > 0 else { throw DataError("the file is empty: expected a header row naming the columns") }
        names = (0..<tokens.fieldCount(row: 0)).map { tokens.string(row: 0, column: $0) }
        guard tokens.rowCount > 1 else {
            throw DataError("the header names \(names.count) column(s) but no data rows follow")
        }
        self.tokens = tokens
        self.options = options
        rows = tokens.rowCount - 1
        missingMarkers = options.missingMarkers.sorted().map { Array($0.utf8) }
        longestMarker = missingMarkers.map(\.count).max() ?? -1
    }

    /// "row 3 (line 4), column 2 'age'" for data row `row` (0-based, header excluded) and 0-based `column`.
    private func location(_ row: Int, _ column: Int) -> String {
        "row \(row + 1) (line \(tokens.rowLines[row + 1])), column \(column + 1) '\(names[column])'"
    }

    /// Byte range of a data cell inside `tokens.bytes`.
    private func cell(_ row: Int, _ column: Int) -> Range<Int> {
        let field = tokens.rowStarts[row + 1] + column
        return tokens.fieldStart(field)..<tokens.fieldEnds[field]
    }

    private func text(_ row: Int, _ column: Int) -> String { tokens.string(row: row + 1, column: column) }

    func build() throws -> CSVTable {
        try checkFieldCounts()
        let targetColumn = try resolveTarget()
        let scan = scanCells()
        let keep = try rowsToKeep(scan, targetColumn: targetColumn)

        var kinds: [CSVTable.ColumnKind] = []
        var categoryIDs: [[Int32]] = Array(repeating: [], count: columns)
        for column in 0..<columns {
            if scan.isNumeric[column] { kinds.append(.numeric); continue }
            let (categories, ids) = encodeCategories(column)
            kinds.append(.categorical(categories))
            categoryIDs[column] = ids
        }

        var featureNames: [String] = []
        var offsets: [Int] = Array(repeating: -1, count: columns)
        for column in 0..<columns where column != targetColumn {
            offsets[column] = featureNames.count
            switch kinds[column] {
            case .numeric: featureNames.append(names[column])
            case .categorical(let categories): featureNames += categories.map { "\(names[column])=\($0)" }
            }
        }
        let fills = try fillValues(scan, kinds: kinds, categoryIDs: categoryIDs, targetColumn: targetColumn)

        let width = featureNames.count
        let features = Tensor.zeros([keep.count, width])
        withExtendedLifetime(features) {
            let out = features.floatPointer
            scan.values.withUnsafeBufferPointer { values in
                for (o, row) in keep.enumerated() {
                    let base = o * width
                    for column in 0..<columns where column != targetColumn {
                        if scan.isNumeric[column] {
                            let v = values[row * columns + column]
                            out[base + offsets[column]] = v.isNaN ? fills[column] : v
                        } else {
                            let id = categoryIDs[column][row]
                            out[base + offsets[column] + (id >= 0 ? Int(id) : Int(fills[column]))] = 1
                        }
                    }
                }
            }
        }

        var target: Tensor?
        var classNames: [String] = []
        if let targetColumn, let task = options.target {
            (target, classNames) = try encodeTarget(task, column: targetColumn, scan: scan, kind: kinds[targetColumn],
                                                    ids: categoryIDs[targetColumn], keep: keep)
        }
        return CSVTable(columnNames: names, columnKinds: kinds, featureNames: featureNames, features: features,
                        targetName: targetColumn.map { names[$0] }, target: target, classNames: classNames,
                        droppedRowCount: rows - keep.count)
    }

    private func checkFieldCounts() throws {
        for row in 0..<rows where tokens.fieldCount(row: row + 1) != columns {
            let count = tokens.fieldCount(row: row + 1), line = tokens.rowLines[row + 1]
            let detail = count == columns - 1 ? "column \(columns) '\(names[count])' is missing"
                : count < columns ? "columns \(count + 1) '\(names[count])' to \(columns) '\(names[columns - 1])' are missing"
                : "column \(columns + 1) holds an extra field '\(tokens.string(row: row + 1, column: columns))'"
            throw DataError("row \(row + 1) (line \(line)) has \(count) field(s) but the header has \(columns) columns: \(detail)")
        }
    }

    private func resolveTarget() throws -> Int? {
        guard let name = options.target?.column else { return nil }
        let matches = names.indices.filter { names[$0] == name }
        guard let first = matches.first else {
            throw DataError("target column '\(name)' not found; the columns are: \(names.joined(separator: ", "))")
        }
        guard matches.count == 1 else {
            throw DataError("target column '\(name)' is ambiguous: columns \(matches.map { String($0 + 1) }.joined(separator: ", ")) have that name")
        }
        return first
    }

    // MARK: - Cells

    /// Every cell parsed once: numbers (NaN where missing or not numeric), which columns are numeric, and
    /// where the missing cells are.
    private struct Scan {
        var values: [Float]
        var isNumeric: [Bool]
        var firstText: [Int?]        // first data row whose cell is not a number, per column
        var rowHasMissing: [Bool]
        var missingCells: [(row: Int, column: Int)] = []  // the first few, for messages
        var missingCount = 0
    }

    private func isMissingCell(_ row: Int, _ column: Int) -> Bool {
        let range = cell(row, column)
        return tokens.bytes.withUnsafeBufferPointer { isMarker($0.baseAddress! + range.lowerBound, range.count) }
    }

    /// Whether the `count` bytes at `field` spell one of the missing-value markers.
    @inline(__always)
    private func isMarker(_ field: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        guard count <= longestMarker else { return false }  // most numbers are longer than "NaN"
        for marker in missingMarkers where marker.count == count {
            if count == 0 || memcmp(marker, field, count) == 0 { return true }
        }
        return false
    }

    /// Parses every data cell once. Every row has `columns` fields (checked first), so the cells are the
    /// fields from index `columns` on, row by row.
    private func scanCells() -> Scan {
        var values = [Float](repeating: .nan, count: rows * columns)
        var isNumeric = [Bool](repeating: true, count: columns), firstText = [Int?](repeating: nil, count: columns)
        var rowHasMissing = [Bool](repeating: false, count: rows)
        var missingCells: [(row: Int, column: Int)] = [], missingCount = 0
        tokens.bytes.withUnsafeBufferPointer { bytes in
            tokens.fieldEnds.withUnsafeBufferPointer { ends in
                values.withUnsafeMutableBufferPointer { out in
                    isNumeric.withUnsafeMutableBufferPointer { numeric in
                        let base = bytes.baseAddress!
                        var start = ends[columns - 1]
                        for row in 0..<rows {
                            for column in 0..<columns {
                                let index = row * columns + column
                                let end = ends[columns + index], count = end - start
                                defer { start = end }
                                if isMarker(base + start, count) {
                                    missingCount += 1
                                    rowHasMissing[row] = true
                                    if missingCells.count < 5 { missingCells.append((row, column)) }
                                } else if numeric[column] {
                                    if let v = parseDecimal(base + start, count: count) {
                                        out[index] = v
                                    } else {
                                        numeric[column] = false
                                        firstText[column] = row
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Scan(values: values, isNumeric: isNumeric, firstText: firstText, rowHasMissing: rowHasMissing,
                    missingCells: missingCells, missingCount: missingCount)
    }

    private func rowsToKeep(_ scan: Scan, targetColumn: Int?) throws -> [Int] {
        guard scan.missingCount > 0 else { return Array(0..<rows) }
        switch options.missing {
        case .error:
            let listed = scan.missingCells.map { location($0.row, $0.column) }.joined(separator: "; ")
            let more = scan.missingCount > scan.missingCells.count ? "; and \(scan.missingCount - scan.missingCells.count) more" : ""
            throw DataError("\(scan.missingCount) missing value(s): \(listed)\(more) "
                            + "(use missing: .dropRows or .fillMean to accept them)")
        case .dropRows:
            let keep = (0..<rows).filter { !scan.rowHasMissing[$0] }
            guard !keep.isEmpty else { throw DataError("every one of the \(rows) rows has a missing value; none is left") }
            return keep
        case .fillMean:
            if let targetColumn, let row = (0..<rows).first(where: { isMissingCell($0, targetColumn) }) {
                throw DataError("the target is missing at \(location(row, targetColumn)); a label is not imputed "
                                + "(use missing: .dropRows to leave such rows out)")
            }
            return Array(0..<rows)
        }
    }

    /// Per column, the value that stands in for a missing cell: the mean of a numeric column, the index
    /// of the most frequent category of a categorical one. Only computed under `.fillMean`.
    private func fillValues(_ scan: Scan, kinds: [CSVTable.ColumnKind], categoryIDs: [[Int32]],
                            targetColumn: Int?) throws -> [Float] {
        var fills = [Float](repeating: 0, count: columns)
        guard options.missing == .fillMean, scan.missingCount > 0 else { return fills }
        for column in 0..<columns where column != targetColumn {
            switch kinds[column] {
            case .numeric:
                var sum = 0.0, count = 0
                for row in 0..<rows {
                    let v = scan.values[row * columns + column]
                    if !v.isNaN { sum += Double(v); count += 1 }
                }
                guard count > 0 else {
                    throw DataError("column \(column + 1) '\(names[column])' has no values to take the mean of")
                }
                fills[column] = Float(sum / Double(count))
            case .categorical(let categories):
                var counts = [Int](repeating: 0, count: categories.count)
                for id in categoryIDs[column] where id >= 0 { counts[Int(id)] += 1 }
                fills[column] = Float(counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) } ?? 0)
            }
        }
        return fills
    }

    /// Sorted distinct texts of a categorical column and each row's index into them (-1 where missing).
    private func encodeCategories(_ column: Int) -> ([String], [Int32]) {
        // String keys: their hashing runs in the standard library's optimised code, even in a debug build.
        var lookup: [String: Int32] = [:]
        var texts: [String] = []
        var ids = [Int32](repeating: -1, count: rows)
        tokens.bytes.withUnsafeBufferPointer { bytes in
            tokens.fieldEnds.withUnsafeBufferPointer { ends in
                for row in 0..<rows {
                    let field = (row + 1) * columns + column
                    let start = ends[field - 1], count = ends[field] - start
                    if isMarker(bytes.baseAddress! + start, count) { continue }
                    let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + count)]), as: UTF8.self)
                    if let id = lookup[key] { ids[row] = id; continue }
                    let id = Int32(texts.count)
                    lookup[key] = id
                    texts.append(key)
                    ids[row] = id
                }
            }
        }
        let order = texts.indices.sorted { texts[$0] < texts[$1] }
        var rank = [Int32](repeating: 0, count: order.count)
        for (position, id) in order.enumerated() { rank[id] = Int32(position) }
        return (order.map { texts[$0] }, ids.map { $0 >= 0 ? rank[Int($0)] : -1 })
    }

    // MARK: - Target

    private func encodeTarget(_ task: CSVTarget, column: Int, scan: Scan, kind: CSVTable.ColumnKind, ids: [Int32],
                              keep: [Int]) throws -> (Tensor, [String]) {
        let values = keep.map { scan.values[$0 * columns + column] }
        switch (task, kind) {
        case (.regression, .numeric):
            return (Tensor(values), [])
        case (.regression, .categorical):
            let row = scan.firstText[column]!
            throw DataError("regression target at \(location(row, column)) is '\(text(row, column))', not a number")
        case (.classification, .categorical(let categories)):
            return (Tensor(keep.map { Int(ids[$0]) }), categories)
        case (.classification, .numeric):
            if let o = values.firstIndex(where: { $0 != $0.rounded() || abs($0) > 1e15 }) {
                throw DataError("classification target at \(location(keep[o], column)) is \(text(keep[o], column)), not an "
                                + "integer class (use .regression for a continuous target)")
            }
            let classes = Array(Set(values)).sorted()
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            return (Tensor(values.map { index[$0]! }), classes.map { String(Int($0)) })
        }
    }
}
