// The header of a .npy file: a Python dict literal such as `{'descr': '<f4', 'fortran_order': False,
// 'shape': (3, 4), }`, parsed by a small literal parser (never evaluated) and checked field by field.
import CortexCore

/// The validated header fields of a `.npy` file.
struct NPYHeader {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]
    /// NumPy's kind letter: "f" float, "i" signed, "u" unsigned, "b" bool.
    let kind: Character
    let itemSize: Int
    let bigEndian: Bool
    /// The Cortex dtype the values are read into.
    let dtype: DType

    init(_ bytes: UnsafeRawBufferPointer) throws {
        var parser = PythonLiteralParser(bytes: bytes)
        guard case .dict(let entries) = try parser.parseHeader() else {
            throw parser.fail("the header is not a dict")
        }
        func entry(_ key: String) throws -> PythonLiteral {
            guard let value = entries.first(where: { $0.0 == key })?.1 else { throw parser.fail("the header has no '\(key)' key") }
            return value
        }
        switch try entry("descr") {
        case .string(let text): descr = text
        case .list: throw parser.fail("structured (record) arrays are not supported; only plain numeric dtypes")
        default: throw parser.fail("'descr' is not a string")
        }
        guard case .bool(let fortran) = try entry("fortran_order") else { throw parser.fail("'fortran_order' is not True or False") }
        fortranOrder = fortran
        guard case .tuple(let dims) = try entry("shape") else { throw parser.fail("'shape' is not a tuple") }
        shape = try dims.map { dim in
            guard case .int(let n) = dim, n >= 0 else { throw parser.fail("'shape' holds \(dim), not a non-negative integer") }
            return n
        }

        let supported = "supported: f2 f4 f8 i1 i2 i4 i8 u1 b1, with byte order <, > or ="
        guard descr.count >= 3, let order = descr.first, "<>=|".contains(order) else {
            throw parser.fail("unsupported dtype '\(descr)' (\(supported))")
        }
        let code = String(descr.dropFirst())
        let types: [String: DType] = ["f2": .float16, "f4": .float32, "f8": .float32, "i1": .int8, "i2": .int32,
                                      "i4": .int32, "i8": .int64, "u1": .uint8, "b1": .bool]
        guard let dtype = types[code] else { throw parser.fail("unsupported dtype '\(descr)' (\(supported))") }
        kind = code.first!
        itemSize = Int(String(code.dropFirst()))!
        guard order != "|" || itemSize == 1 else {
            throw parser.fail("dtype '\(descr)' has no byte order, but its items are \(itemSize) bytes")
        }
        bigEndian = order == ">" || (order == "=" && 1.bigEndian == 1)
        self.dtype = dtype
    }
}

/// The Python literals a `.npy` header can hold.
enum PythonLiteral: CustomStringConvertible {
    case string(String), int(Int), bool(Bool), none
    case tuple([PythonLiteral]), list([PythonLiteral]), dict([(String, PythonLiteral)])

    var description: String {
        switch self {
        case .string(let s): "'\(s)'"
        case .int(let n): String(n)
        case .bool(let b): b ? "True" : "False"
        case .none: "None"
        case .tuple(let items): "(\(items.map(\.description).joined(separator: ", ")))"
        case .list(let items): "[\(items.map(\.description).joined(separator: ", "))]"
        case .dict(let entries): "{\(entries.map { "'\($0.0)': \($0.1)" }.joined(separator: ", "))}"
        }
    }
}

/// Parses one Python literal (a dict, tuple, list, string, integer, True/False/None) from bytes.
struct PythonLiteralParser {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var depth = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// An error that quotes the header, so the reader sees what the file really says.
    func fail(_ what: String) -> DataError {
        var text = String(decoding: bytes.prefix(200), as: UTF8.self).trimmingTrailingBlanks()
        if bytes.count > 200 { text += "…" }
        return DataError("malformed .npy header: \(what) (header: \(text))")
    }

    /// The header's single literal; only blanks (NumPy's padding) may follow it.
    mutating func parseHeader() throws -> PythonLiteral {
        let value = try parseValue()
        skipBlanks()
        guard position == bytes.count else { throw fail("unexpected text after the dict at byte \(position)") }
        return value
    }

    private mutating func skipBlanks() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func peek() throws -> UInt8 {
        skipBlanks()
        guard position < bytes.count else { throw fail("the header ends early") }
        return bytes[position]
    }

    private mutating func expect(_ char: Character) throws {
        guard try peek() == char.asciiValue! else {
            throw fail("expected '\(char)' at byte \(position), found '\(Character(Unicode.Scalar(bytes[position])))'")
        }
        position += 1
    }

    private mutating func parseValue() throws -> PythonLiteral {
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else { throw fail("literals nested too deeply") }
        switch try peek() {
        case UInt8(ascii: "{"):
            position += 1
            var entries: [(String, PythonLiteral)] = []
            while try peek() != UInt8(ascii: "}") {
                guard case .string(let key) = try parseValue() else { throw fail("a dict key is not a string") }
                try expect(":")
                entries.append((key, try parseValue()))
                guard try peek() == UInt8(ascii: ",") else { break }
                position += 1
            }
            try expect("}")
            return .dict(entries)
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close: Character = bytes[position] == UInt8(ascii: "(") ? ")" : "]"
            position += 1
            var items: [PythonLiteral] = []
            while try peek() != close.asciiValue! {
                items.append(try parseValue())
                guard try peek() == UInt8(ascii: ",") else { break }
                position += 1
            }
            try expect(close)
            return close == ")" ? .tuple(items) : .list(items)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .int(try parseInteger())
        default:
            for (word, value) in [("True", PythonLiteral.bool(true)), ("False", .bool(false)), ("None", .none)]
            where bytes[position...].starts(with: word.utf8) {
                position += word.utf8.count
                return value
            }
            throw fail("unexpected '\(Character(Unicode.Scalar(bytes[position])))' at byte \(position)")
        }
    }

    private mutating func parseString() throws -> String {
        let quote = bytes[position]
        position += 1
        var text: [UInt8] = []
        while true {
            guard position < bytes.count else { throw fail("a string is never closed") }
            var c = bytes[position]
            position += 1
            if c == quote { return String(decoding: text, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                guard position < bytes.count else { throw fail("a string is never closed") }
                c = bytes[position]
                position += 1
            }
            text.append(c)
        }
    }

    private mutating func parseInteger() throws -> Int {
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        var value = 0, digits = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw fail("an integer at byte \(position) is too large") }
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw fail("expected digits at byte \(position)") }
        if position < bytes.count, bytes[position] == UInt8(ascii: "L") { position += 1 }  // Python 2 long suffix
        return negative ? -value : value
    }
}

private extension String {
    func trimmingTrailingBlanks() -> String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
