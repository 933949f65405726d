// Splits delimited text into rows of fields per RFC 4180 (quoted fields may hold delimiters, doubled
// quotes and line breaks), working on bytes and decoding every field in place in one pass.
import CortexCore
import Foundation

/// The fields of a delimited text file.
///
/// Field contents are stored back to back in `bytes` (quotes removed, `""` turned into `"`), so field `i`
/// is `bytes[fieldStart(i)..<fieldEnds[i]]` and no per-field allocation is made: a 50 MB file becomes one
/// byte array and one array of offsets. Unquoted fields lose surrounding spaces and tabs (unless the tab
/// is the delimiter) — `1, 2` reads as "1" and "2" —, quoted ones keep them. Lines may end in LF, CRLF or
/// CR; empty lines are skipped; a UTF-8 byte-order mark at the start is ignored.
struct CSVTokens {
    private(set) var bytes: [UInt8]
    private(set) var fieldEnds: [Int] = []
    /// Index of each row's first field, with one extra entry equal to the field count.
    private(set) var rowStarts: [Int] = [0]
    /// 1-based line of the file on which each row starts (rows can span lines inside quotes).
    private(set) var rowLines: [Int] = []

    var rowCount: Int { rowLines.count }
    func fieldCount(row: Int) -> Int { rowStarts[row + 1] - rowStarts[row] }
    func fieldStart(_ field: Int) -> Int { field == 0 ? 0 : fieldEnds[field - 1] }
    /// The field at `column` of `row` as text.
    func string(row: Int, column: Int) -> String {
        let field = rowStarts[row] + column
        return String(decoding: bytes[fieldStart(field)..<fieldEnds[field]], as: UTF8.self)
    }

    /// Tokenizes `data`, throwing a `DataError` (with `path`) for an unterminated quoted field or text
    /// between a closing quote and the next delimiter.
    init(_ data: Data, delimiter: UInt8, path: String?) throws {
        bytes = [UInt8](data)
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let tab = UInt8(ascii: "\t"), space = UInt8(ascii: " ")
        precondition(delimiter != quote && delimiter != lf && delimiter != cr, "CSV: the delimiter cannot be a quote or line break")
        @inline(__always) func isBlank(_ c: UInt8) -> Bool { (c == space || c == tab) && c != delimiter }

        var ends: [Int] = [], starts: [Int] = [0], lines: [Int] = []
        var line = 1
        try bytes.withUnsafeMutableBufferPointer { buf in
            let n = buf.count
            var r = 0, w = 0
            if n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { r = 3 }
            rows: while r < n {
                // At the start of a line: skip empty ones.
                if buf[r] == lf || buf[r] == cr {
                    if buf[r] == cr && r + 1 < n && buf[r + 1] == lf { r += 1 }
                    r += 1
                    line += 1
                    continue
                }
                lines.append(line)
                while true {  // one field per turn
                    while r < n && isBlank(buf[r]) { r += 1 }
                    if r < n && buf[r] == quote {
                        let openLine = line, openColumn = ends.count - starts[starts.count - 1] + 1
                        r += 1
                        while true {
                            guard r < n else {
                                throw DataError("quoted field opened on line \(openLine) (column \(openColumn)) is never closed",
                                                path: path)
                            }
                            let c = buf[r]
                            if c == quote {
                                if r + 1 < n && buf[r + 1] == quote { buf[w] = quote; w += 1; r += 2; continue }
                                r += 1
                                break
                            }
                            if c == lf || (c == cr && (r + 1 == n || buf[r + 1] != lf)) { line += 1 }
                            buf[w] = c; w += 1; r += 1
                        }
                        while r < n && isBlank(buf[r]) { r += 1 }
                        if r < n && buf[r] != delimiter && buf[r] != lf && buf[r] != cr {
                            let column = ends.count - starts[starts.count - 1] + 1
                            throw DataError("unexpected '\(Character(Unicode.Scalar(buf[r])))' after the closing quote of "
                                            + "column \(column) on line \(line) (a quote inside a quoted field is written \"\")",
                                            path: path)
                        }
                    } else {
                        let start = w
                        while r < n {
                            let c = buf[r]
                            if c == delimiter || c == lf || c == cr { break }
                            buf[w] = c; w += 1; r += 1
                        }
                        while w > start && isBlank(buf[w - 1]) { w -= 1 }
                    }
                    ends.append(w)
                    if r < n && buf[r] == delimiter { r += 1; continue }
                    // End of the row: a line break or the end of the data.
                    if r < n {
                        if buf[r] == cr && r + 1 < n && buf[r + 1] == lf { r += 1 }
                        r += 1
                        line += 1
                    }
                    starts.append(ends.count)
                    continue rows
                }
            }
        }
        // Fields were compacted towards the front; what lies past the last one is stale input. One byte is
        // kept after it so the buffer always has a base address, even when every field is empty.
        bytes.removeSubrange((ends.last ?? 0)...)
        bytes.append(0)
        fieldEnds = ends
        rowStarts = starts
        rowLines = lines
    }
}
