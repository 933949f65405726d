// Turns tokenized CSV fields into a CSVTable: checks the rows against the header, types each column
// (or takes the types from a schema), finds missing cells, encodes categories and the target, and fills
// the feature matrix in place.
import CortexCore
import Foundation

struct CSVTableBuilder {
    private let tokens: CSVTokens
    private let options: CSVOptions
    private let schema: CSVSchema?
    /// With a schema: whether its target column is read (evaluation) or passed over (prediction).
    private let readingTarget: Bool
    private let names: [String]
    private let rows: Int
    private var columns: Int { names.count }
    private let missingMarkers: [[UInt8]]
    private let longestMarker: Int

    init(tokens: CSVTokens, options: CSVOptions, schema: CSVSchema? = nil, readingTarget: Bool = true) throws {
        guard tokens.rowCount > 0 else { throw DataError("the file is empty: expected a header row naming the columns") }
        names = (0..<tokens.fieldCount(row: 0)).map { tokens.string(row: 0, column: $0) }
        guard tokens.rowCount > 1 else {
            throw DataError("the header names \(names.count) column(s) but no data rows follow")
        }
        self.tokens = tokens
        self.options = options
        self.schema = schema
        self.readingTarget = readingTarget
        rows = tokens.rowCount - 1
        missingMarkers = options.missingMarkers.sorted().map { Array($0.utf8) }
        longestMarker = missingMarkers.map(\.count).max() ?? -1
    }

    /// Why a schema's target column is not among the features when the target is not read.
    private static let unreadTarget = "the target, not read"

    /// One feature column as it goes into the matrix: where it is in the file and how it is encoded.
    private struct PlannedFeature {
        let column: Int
        let categories: [String]?
        /// Per row, the category index (-1 missing, -2 a category the schema does not know).
        let ids: [Int32]
        var fill: Float = 0
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
        var notes: [String] = []
        var kinds: [CSVTable.ColumnKind] = scan.isNumeric.indices.map { column in
            if let schema, !readingTarget, names[column] == schema.target { return .dropped(Self.unreadTarget) }
            if let schema, !schema.features.contains(where: { $0.name == names[column] }), column != targetColumn {
                return .dropped("not a feature of the training table")
            }
            return scan.isNumeric[column] ? .numeric : .categorical([])
        }
        var plan = try schema.map { try schemaPlan($0, scan: scan, kinds: &kinds, notes: &notes) }
            ?? inferredPlan(scan: scan, targetColumn: targetColumn, kinds: &kinds, notes: &notes)
        let used = plan.map(\.column) + (targetColumn.map { [$0] } ?? [])
        let keep = try rowsToKeep(scan, columns: used, targetColumn: targetColumn)
        try computeFills(&plan, scan: scan)

        let width = plan.reduce(0) { $0 + ($1.categories?.count ?? 1) }
        let (cells, overflow) = keep.count.multipliedReportingOverflow(by: width)
        let limit = Int(min(ProcessInfo.processInfo.physicalMemory / 2, UInt64(Int.max)))
        guard !overflow, cells <= limit / 4 else {
            throw DataError("the features would be a \(keep.count) × \(width) float matrix (\(ByteCount.text(Double(keep.count) * Double(width) * 4))), "
                            + "more than half of this machine's memory; lower maxCategories or leave out wide categorical columns")
        }
        var matrix = [Float](repeating: 0, count: keep.count * width)
        var unknown = 0
        matrix.withUnsafeMutableBufferPointer { out in
            scan.values.withUnsafeBufferPointer { values in
                for (o, row) in keep.enumerated() {
                    var offset = o * width
                    for feature in plan {
                        if let categories = feature.categories {
                            let id = feature.ids[row]
                            if id >= 0 { out[offset + Int(id)] = 1 } else if id == -1 { out[offset + Int(feature.fill)] = 1 } else { unknown += 1 }
                            offset += categories.count
                        } else {
                            let v = values[row * columns + feature.column]
                            out[offset] = v.isNaN ? feature.fill : v
                            offset += 1
                        }
                    }
                }
            }
        }
        let features = Tensor(matrix, shape: [keep.count, width])
        if unknown > 0 {
            notes.append("\(unknown) categorical cell(s) hold a category not seen in training; their one-hot features are all 0")
        }

        var target: Tensor?
        var classNames: [String] = []
        if let targetColumn {
            // A text target's cells are read once, for its kind, its classes and its labels alike.
            let texts = scan.isNumeric[targetColumn] ? nil : cellTexts(targetColumn)
            let distinct = texts.map { Set($0.compactMap { $0 }).sorted() }
            (target, classNames) = try encodeTarget(column: targetColumn, scan: scan, keep: keep, texts: texts, distinct: distinct,
                                                    notes: &notes)
            if let distinct { kinds[targetColumn] = .categorical(distinct) }
        }
        let newSchema = CSVSchema(
            features: plan.map { CSVSchema.Feature(name: names[$0.column], categories: $0.categories, fill: $0.fill) },
            target: targetColumn.map { names[$0] }, classNames: target?.dtype == .int64 ? classNames : nil)
        let featureNames = newSchema.featureNames
        return CSVTable(columnNames: names, columnKinds: kinds, featureNames: featureNames, features: features,
                        targetName: targetColumn.map { names[$0] }, target: target, classNames: classNames,
                        droppedRowCount: rows - keep.count, schema: newSchema, notes: notes)
    }

    /// Features of a new table: every non-target column in file order, categorical ones one-hot, and
    /// identifier-like ones dropped.
    private func inferredPlan(scan: Scan, targetColumn: Int?, kinds: inout [CSVTable.ColumnKind],
                              notes: inout [String]) -> [PlannedFeature] {
        var plan: [PlannedFeature] = []
        for column in 0..<columns where column != targetColumn {
            if scan.isNumeric[column] {
                plan.append(PlannedFeature(column: column, categories: nil, ids: []))
                continue
            }
            let (categories, ids) = encodeCategories(column)
            let present = ids.filter { $0 >= 0 }.count
            if categories.count > options.maxCategories || (categories.count > 20 && categories.count * 2 > present) {
                let reason = "\(categories.count) distinct values in \(present) rows: an identifier or free text, not a category"
                kinds[column] = .dropped(reason)
                notes.append("column \(column + 1) '\(names[column])' left out: \(reason)")
                continue
            }
            kinds[column] = .categorical(categories)
            plan.append(PlannedFeature(column: column, categories: categories, ids: ids))
        }
        return plan
    }

    /// Features of a table read with a schema: the schema's columns in the schema's order.
    private func schemaPlan(_ schema: CSVSchema, scan: Scan, kinds: inout [CSVTable.ColumnKind],
                            notes: inout [String]) throws -> [PlannedFeature] {
        try schema.validate()
        let missingColumns = schema.features.map(\.name).filter { !names.contains($0) }
        guard missingColumns.isEmpty else {
            throw DataError("the table lacks column(s) the model was trained on: "
                            + missingColumns.prefix(10).map { "'\($0)'" }.joined(separator: ", ")
                            + (missingColumns.count > 10 ? " and \(missingColumns.count - 10) more" : ""))
        }
        let ignored = names.indices.filter { if case .dropped(let reason) = kinds[$0] { reason != Self.unreadTarget } else { false } }
        if !ignored.isEmpty {
            notes.append("ignored column(s) the model was not trained on: " + ignored.prefix(10).map { "'\(names[$0])'" }.joined(separator: ", "))
        }
        return try schema.features.map { feature in
            let column = names.firstIndex(of: feature.name)!
            guard let categories = feature.categories else {
                if let row = scan.firstText[column] {
                    throw DataError("\(location(row, column)) is '\(text(row, column))', but the model was trained on numbers in this column")
                }
                return PlannedFeature(column: column, categories: nil, ids: [], fill: feature.fill)
            }
            kinds[column] = .categorical(categories)
            let index = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, Int32($0)) })
            let ids = cellTexts(column).map { text in text.map { index[$0] ?? -2 } ?? -1 }
            return PlannedFeature(column: column, categories: categories, ids: ids, fill: feature.fill)
        }
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
        if let schema {
            // A schema's target is read when the file has it (evaluation) and skipped otherwise (prediction).
            guard readingTarget, let name = schema.target else { return nil }
            return names.firstIndex(of: name)
        }
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
    /// which cells are missing.
    private struct Scan {
        var values: [Float]
        var isNumeric: [Bool]
        var firstText: [Int?]        // first data row whose cell is not a number, per column
        var missing: [Bool]          // rows × columns
        var nonFiniteCount = 0       // missing cells spelled nan / inf
    }

    /// Whether the `count` bytes at `field` are a missing value: one of the markers, or a non-finite number.
    @inline(__always)
    private func isMissing(_ field: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        isMarker(field, count) || isNonFiniteSpelling(field, count)
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
        var missing = [Bool](repeating: false, count: rows * columns)
        var nonFinite = 0
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
                                    missing[index] = true
                                } else if numeric[column], let v = parseDecimal(base + start, count: count) {
                                    out[index] = v   // the common case first: nan and inf never parse
                                } else if isNonFiniteSpelling(base + start, count) {
                                    missing[index] = true
                                    nonFinite += 1
                                } else if numeric[column] {
                                    numeric[column] = false
                                    firstText[column] = row
                                }
                            }
                        }
                    }
                }
            }
        }
        return Scan(values: values, isNumeric: isNumeric, firstText: firstText, missing: missing, nonFiniteCount: nonFinite)
    }

    /// The data rows to use: all of them, or (under `.dropRows`) those with no missing cell in `used` columns.
    private func rowsToKeep(_ scan: Scan, columns used: [Int], targetColumn: Int?) throws -> [Int] {
        var cells: [(row: Int, column: Int)] = [], count = 0
        var rowHasMissing = [Bool](repeating: false, count: rows)
        for row in 0..<rows {
            for column in used.sorted() where scan.missing[row * columns + column] {
                count += 1
                rowHasMissing[row] = true
                if cells.count < 5 { cells.append((row, column)) }
            }
        }
        guard count > 0 else { return Array(0..<rows) }
        switch options.missing {
        case .error:
            let listed = cells.map { location($0.row, $0.column) }.joined(separator: "; ")
            let more = count > cells.count ? "; and \(count - cells.count) more" : ""
            let nonFinite = scan.nonFiniteCount > 0 ? " (nan and inf count as missing: they are not measurements)" : ""
            throw DataError("\(count) missing value(s)\(nonFinite): \(listed)\(more) "
                            + "(use missing: .dropRows or .fillMean to accept them — on the command line --missing drop or --missing mean)")
        case .dropRows:
            let keep = (0..<rows).filter { !rowHasMissing[$0] }
            guard !keep.isEmpty else { throw DataError("every one of the \(rows) rows has a missing value; none is left") }
            return keep
        case .fillMean:
            if let targetColumn, let row = (0..<rows).first(where: { scan.missing[$0 * columns + targetColumn] }) {
                throw DataError("the target is missing at \(location(row, targetColumn)); a label is not imputed "
                                + "(use missing: .dropRows to leave such rows out)")
            }
            return Array(0..<rows)
        }
    }

    /// The value that stands in for a missing cell of each planned feature: the mean of a numeric column,
    /// the index of the most frequent category of a categorical one. A schema's fills are kept as they are.
    private func computeFills(_ plan: inout [PlannedFeature], scan: Scan) throws {
        guard schema == nil else { return }
        for i in plan.indices {
            let column = plan[i].column
            if let categories = plan[i].categories {
                var counts = [Int](repeating: 0, count: categories.count)
                for id in plan[i].ids where id >= 0 { counts[Int(id)] += 1 }
                plan[i].fill = Float(counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) } ?? 0)
                continue
            }
            var sum = 0.0, count = 0
            for row in 0..<rows {
                let v = scan.values[row * columns + column]
                if !v.isNaN { sum += Double(v); count += 1 }
            }
            if count == 0 && options.missing == .fillMean {
                throw DataError("column \(column + 1) '\(names[column])' has no values to take the mean of")
            }
            plan[i].fill = count > 0 ? Float(sum / Double(count)) : 0
        }
    }

    /// Each row's cell text in `column`, nil where missing.
    private func cellTexts(_ column: Int) -> [String?] {
        tokens.bytes.withUnsafeBufferPointer { bytes in
            tokens.fieldEnds.withUnsafeBufferPointer { ends in
                (0..<rows).map { row in
                    let field = (row + 1) * columns + column
                    let start = ends[field - 1], count = ends[field] - start
                    if isMissing(bytes.baseAddress! + start, count) { return nil }
                    // String keys: their hashing runs in the standard library's optimised code, even in a debug build.
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + count)]), as: UTF8.self)
                }
            }
        }
    }

    /// Sorted distinct texts of a categorical column and each row's index into them (-1 where missing).
    private func encodeCategories(_ column: Int) -> ([String], [Int32]) {
        var lookup: [String: Int32] = [:]
        var texts: [String] = []
        let ids: [Int32] = cellTexts(column).map { key in
            guard let key else { return -1 }
            if let id = lookup[key] { return id }
            let id = Int32(texts.count)
            lookup[key] = id
            texts.append(key)
            return id
        }
        let order = texts.indices.sorted { texts[$0] < texts[$1] }
        var rank = [Int32](repeating: 0, count: order.count)
        for (position, id) in order.enumerated() { rank[id] = Int32(position) }
        return (order.map { texts[$0] }, ids.map { $0 >= 0 ? rank[Int($0)] : -1 })
    }

    // MARK: - Target

    /// The target tensor and class names: with a schema, encoded with the schema's classes; otherwise as
    /// `options.target` asks, inferring the task for `.inferred`. `texts` and `distinct` are a text
    /// column's cells and its sorted distinct values (nil for a numeric column).
    private func encodeTarget(column: Int, scan: Scan, keep: [Int], texts: [String?]?, distinct: [String]?,
                              notes: inout [String]) throws -> (Tensor, [String]) {
        let numeric = scan.isNumeric[column]
        let values = keep.map { scan.values[$0 * columns + column] }
        func nonNumeric() -> DataError {
            let row = scan.firstText[column]!
            return DataError("regression target at \(location(row, column)) is '\(text(row, column))', not a number")
        }
        if let schema {
            guard let classes = schema.classNames else {
                guard numeric else { throw nonNumeric() }
                return (Tensor(values), [])
            }
            return (Tensor(try schemaLabels(column: column, texts: texts ?? cellTexts(column), classes: classes, keep: keep)), classes)
        }
        let isWhole = numeric && values.allSatisfy { $0 == $0.rounded() && abs($0) <= 1e15 }
        let task: CSVTarget
        switch options.target! {
        case .inferred(let name):
            let distinct = numeric ? Set(values).count : 0
            if !numeric {
                task = .classification(name)
                notes.append("task: classification — target '\(name)' holds text labels")
            } else if isWhole && distinct <= CSVTarget.maxInferredClasses {
                task = .classification(name)
                notes.append("task: classification — target '\(name)' holds \(distinct) distinct whole numbers "
                             + "(at most \(CSVTarget.maxInferredClasses) read as classes; --task regression to override)")
            } else {
                task = .regression(name)
                notes.append("task: regression — target '\(name)' holds " + (isWhole ? "\(distinct) distinct whole numbers, more than "
                             + "\(CSVTarget.maxInferredClasses)" : "fractional numbers") + " (--task classification to override)")
            }
        case let explicit: task = explicit
        }
        switch (task, numeric) {
        case (.regression, true):
            return (Tensor(values), [])
        case (.regression, false):
            throw nonNumeric()
        case (_, false):
            let classes = distinct ?? []
            return (Tensor(try schemaLabels(column: column, texts: texts ?? [], classes: classes, keep: keep)), classes)
        case (_, true):
            if let o = values.firstIndex(where: { $0 != $0.rounded() || abs($0) > 1e15 }) {
                throw DataError("classification target at \(location(keep[o], column)) is \(text(keep[o], column)), not an "
                                + "integer class (use .regression for a continuous target)")
            }
            let classes = Array(Set(values)).sorted()
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            return (Tensor(values.map { index[$0]! }), classes.map { String(Int($0)) })
        }
    }

    /// Class indices of the kept rows for known `classes`, matched by text (or by whole-number value, so
    /// "1.0" finds class "1"). A label outside `classes` is an error naming where it is.
    private func schemaLabels(column: Int, texts: [String?], classes: [String], keep: [Int]) throws -> [Int] {
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var unknown: [(row: Int, label: String)] = [], unknownCount = 0
        let labels: [Int] = keep.map { row in
            let label = texts[row] ?? ""
            if let i = index[label] { return i }
            if let v = Double(label), v == v.rounded(), abs(v) <= 1e15, let i = index[String(Int(v))] { return i }
            unknownCount += 1
            if unknown.count < 5 { unknown.append((row, label)) }
            return -1
        }
        guard unknown.isEmpty else {
            let listed = unknown.map { "'\($0.label)' at \(location($0.row, column))" }.joined(separator: "; ")
            let known = classes.prefix(20).joined(separator: ", ") + (classes.count > 20 ? ", …" : "")
            throw DataError("\(unknownCount) label(s) are not among the \(classes.count) classes the model knows (\(known)): \(listed)"
                            + (unknownCount > unknown.count ? "; and \(unknownCount - unknown.count) more" : ""))
        }
        return labels
    }
}

/// Whether `count` bytes spell a non-finite number — `nan`, `inf`, `infinity`, with an optional sign, in
/// any case — which a table never holds as a value: such a cell is missing.
func isNonFiniteSpelling(_ text: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    let start = count > 0 && (text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+")) ? 1 : 0
    let length = count - start
    // Byte by byte, ASCII letters folded to lower case: no String is made for the cell.
    func spells(_ word: StaticString) -> Bool {
        guard word.utf8CodeUnitCount == length else { return false }
        for i in 0..<length where text[start + i] | 0x20 != word.utf8Start[i] { return false }
        return true
    }
    return spells("nan") || spells("inf") || spells("infinity")
}
