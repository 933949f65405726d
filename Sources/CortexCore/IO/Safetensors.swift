// Owns the safetensors container format: validating parsing, deterministic serialisation and atomic
// writing. It knows nothing about Tensor; callers map SafetensorsDType and raw bytes onto their own types.
import CortexEngine
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element types of the safetensors format that Cortex reads and writes.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .F64, .I64: 8
        case .F32, .I32: 4
        case .F16, .BF16, .I16: 2
        case .I8, .U8, .BOOL: 1
        }
    }
}

/// One tensor's header record. Only the reader creates these, after validating them.
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Row-major dimensions; `[]` is a scalar (1 element), any `0` makes it empty.
    public let shape: [Int]
    /// Byte range within the data section (which starts right after the JSON header).
    public let byteRange: Range<Int>
    /// Product of `shape` (1 for a scalar); the reader has checked it does not overflow.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A malformed archive, a bad writer argument or an I/O failure. `message` names the tensor, the
/// offending values and, when reading from or writing to a file, its path.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "safetensors: \(message)" }
}

/// Byte size of a tensor, or nil if a dimension is negative or its layout overflows `Int` (the engine's
/// rule, which also refuses empty shapes such as `[0, 2^32, 2^32]` whose strides would overflow).
private func checkedByteCount(_ shape: [Int], _ dtype: SafetensorsDType) -> Int? {
    CortexEngine.checkedByteCount(shape: shape, elementSize: dtype.byteSize)
}

/// A parsed, fully validated safetensors file. Every entry's range is known to lie inside the data
/// section, to match its shape and dtype, and not to overlap another entry, so `withBytes` cannot fail
/// for a listed name. Gaps between tensors are tolerated (other writers may align data).
public struct SafetensorsArchive: Sendable {
    /// Largest JSON header accepted; real headers are kilobytes, so anything bigger is a corrupt or hostile length.
    public static let maxHeaderBytes = 100_000_000

    public let entries: [String: SafetensorsEntry]
    /// The optional `__metadata__` string map (empty if absent).
    public let metadata: [String: String]
    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    private let storage: Data
    private let dataStart: Int  // offset of the data section from storage.startIndex
    private let source: String?

    /// Parses an in-memory archive, validating the whole header before returning.
    public init(bytes: [UInt8]) throws { try self.init(storage: Data(bytes), source: nil) }

    /// Parses an in-memory (possibly caller-mapped) archive without copying it.
    public init(data: Data) throws { try self.init(storage: data, source: nil) }

    /// Reads and parses a file; errors include the path. The file is read, not memory-mapped, because a
    /// mapped file truncated by another process would crash us (SIGBUS) instead of throwing.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafetensorsError("\(url.path): cannot read file (\(error.localizedDescription))")
        }
        try self.init(storage: data, source: url.path)
    }

    private init(storage: Data, source: String?) throws {
        do {
            (entries, metadata, dataStart) = try Self.parse(storage)
        } catch let error as SafetensorsError {
            throw source.map { SafetensorsError("\($0): \(error.message)") } ?? error
        }
        self.storage = storage
        self.source = source
    }

    /// Calls `body` with the raw little-endian bytes of tensor `name`. The buffer is only valid inside
    /// `body` and need not be aligned for the element type, so load with `loadUnaligned` or copy it.
    public func withBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let entry = entries[name] else {
            throw SafetensorsError("\(source ?? "archive"): no tensor named '\(name)'")
        }
        let lower = dataStart + entry.byteRange.lowerBound, upper = dataStart + entry.byteRange.upperBound
        return try storage.withUnsafeBytes { raw in try body(UnsafeRawBufferPointer(rebasing: raw[lower..<upper])) }
    }

    /// A copy of tensor `name`'s raw bytes.
    public func bytes(of name: String) throws -> [UInt8] { try withBytes(of: name) { [UInt8]($0) } }

    private static func parse(_ storage: Data) throws -> ([String: SafetensorsEntry], [String: String], Int) {
        let total = storage.count, base = storage.startIndex
        guard total >= 8 else { throw SafetensorsError("file is \(total) bytes, shorter than the 8-byte length field") }
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(storage[base + k]) << (8 * UInt64(k)) }
        // Checked before any allocation so a lying length can't make us reserve gigabytes.
        guard length <= UInt64(maxHeaderBytes) else {
            throw SafetensorsError("header length \(length) exceeds the 100 MB limit")
        }
        guard length <= UInt64(total - 8) else {
            throw SafetensorsError("header length \(length) is larger than the \(total - 8) bytes after the length field")
        }
        let headerEnd = 8 + Int(length)
        let header = [UInt8](storage[(base + 8)..<(base + headerEnd)])
        guard String(validating: header, as: UTF8.self) != nil else {
            throw SafetensorsError("header is not valid UTF-8")
        }
        guard case .object(let members) = try JSONParser.parse(header) else {
            throw SafetensorsError("header is not a JSON object")
        }
        let dataCount = total - headerEnd
        var entries: [String: SafetensorsEntry] = [:]
        for (key, value) in members.sorted(by: { $0.key < $1.key }) where key != "__metadata__" {  // stable error order
            entries[key] = try parseEntry(key, value, dataCount: dataCount)
        }
        let metadata = try members["__metadata__"].map(parseMetadata) ?? [:]
        try checkNoOverlap(entries.values)
        return (entries, metadata, headerEnd)
    }

    private static func parseMetadata(_ value: JSONValue) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw SafetensorsError("__metadata__ is \(value.summary), not an object")
        }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard case .string(let text) = item else {
                throw SafetensorsError("__metadata__ value for key '\(key)' is \(item.summary), not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(_ name: String, _ value: JSONValue, dataCount: Int) throws -> SafetensorsEntry {
        func fail(_ what: String) -> SafetensorsError { SafetensorsError("tensor '\(name)': \(what)") }
        guard case .object(let fields) = value else { throw fail("entry is \(value.summary), not an object") }
        for key in ["dtype", "shape", "data_offsets"] where fields[key] == nil { throw fail("missing \"\(key)\"") }

        guard case .string(let dtypeName) = fields["dtype"]! else {
            throw fail("dtype is \(fields["dtype"]!.summary), not a string")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            let known = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail("unknown dtype '\(dtypeName)' (supported: \(known))")
        }

        guard case .array(let dims) = fields["shape"]! else {
            throw fail("shape is \(fields["shape"]!.summary), not an array")
        }
        var shape: [Int] = []
        for (axis, dim) in dims.enumerated() {
            // JSON has one number type; only exact non-negative integers are dimensions (not 2.0, not true).
            guard case .number(_, let int?) = dim, int >= 0 else {
                throw fail("shape entry \(axis) is \(dim.summary), not a non-negative integer")
            }
            shape.append(int)
        }
        guard let byteCount = checkedByteCount(shape, dtype) else {
            throw fail("shape \(shape) is too large: its size in bytes does not fit in 64 bits")
        }

        guard case .array(let offsets) = fields["data_offsets"]!, offsets.count == 2,
              case .number(_, let begin?) = offsets[0], case .number(_, let end?) = offsets[1], begin >= 0, end >= 0
        else { throw fail("data_offsets must be two non-negative integers, got \(fields["data_offsets"]!.summary)") }
        guard begin <= end else { throw fail("data_offsets [\(begin), \(end)] has begin > end") }
        guard end <= dataCount else {
            throw fail("data_offsets [\(begin), \(end)] end beyond the \(dataCount)-byte data section")
        }
        guard end - begin == byteCount else {
            throw fail("data_offsets [\(begin), \(end)] span \(end - begin) bytes, but shape \(shape) of \(dtype) needs \(byteCount)")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    private static func checkNoOverlap(_ entries: some Collection<SafetensorsEntry>) throws {
        // Empty tensors occupy no bytes, so they cannot overlap anything wherever their offsets point.
        let sorted = entries.filter { !$0.byteRange.isEmpty }
            .sorted { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.byteRange.lowerBound < a.byteRange.upperBound {
            throw SafetensorsError("tensors '\(a.name)' [\(a.byteRange.lowerBound), \(a.byteRange.upperBound)) and "
                + "'\(b.name)' [\(b.byteRange.lowerBound), \(b.byteRange.upperBound)) overlap")
        }
    }
}

/// Builds a safetensors file. Layout is deterministic: tensors are sorted by name and laid out
/// contiguously in that order, so equal contents always give identical bytes regardless of insertion
/// order. A tensor's offset is therefore not necessarily a multiple of its element size.
public struct SafetensorsWriter: Sendable {
    private struct Pending: Sendable { let dtype: SafetensorsDType; let shape: [Int]; let bytes: [UInt8] }

    /// Written as `__metadata__` (keys sorted) when non-empty.
    public var metadata: [String: String]
    private var tensors: [String: Pending] = [:]

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    /// Copies `bytes` (little-endian, row-major) as tensor `name`. Throws on a duplicate or reserved
    /// name, a negative or overflowing shape, or a byte count that doesn't match shape and dtype.
    public mutating func add(_ name: String, dtype: SafetensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer) throws {
        try add(name, dtype: dtype, shape: shape, bytes: [UInt8](bytes))
    }

    /// Adds a tensor given as its raw little-endian bytes, row-major.
    public mutating func add(_ name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) throws {
        guard name != "__metadata__" else { throw SafetensorsError("tensor name '__metadata__' is reserved") }
        guard tensors[name] == nil else { throw SafetensorsError("tensor '\(name)' added twice") }
        guard let expected = checkedByteCount(shape, dtype) else {
            throw SafetensorsError("tensor '\(name)': bad shape \(shape)")
        }
        guard bytes.count == expected else {
            throw SafetensorsError("tensor '\(name)': got \(bytes.count) bytes, but shape \(shape) of \(dtype) needs \(expected)")
        }
        tensors[name] = Pending(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// The 8-byte length, the space-padded header, and the tensors' names in data order.
    private func layout() -> (prefix: [UInt8], order: [String]) {
        let order = tensors.keys.sorted()
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.sorted { $0.key < $1.key }.map { "\(jsonQuoted($0.key)):\(jsonQuoted($0.value))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for name in order {
            let t = tensors[name]!
            let dims = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonQuoted(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(dims)],"
                + "\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        var header = Array("{\(parts.joined(separator: ","))}".utf8)
        // 8 + header length must be a multiple of 8 so the data section starts aligned.
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        var prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian) { [UInt8]($0) }
        prefix.append(contentsOf: header)
        return (prefix, order)
    }

    /// The complete file contents.
    public func serialized() -> [UInt8] {
        let (prefix, order) = layout()
        var out = prefix
        out.reserveCapacity(prefix.count + tensors.values.reduce(0) { $0 + $1.bytes.count })
        for name in order { out.append(contentsOf: tensors[name]!.bytes) }
        return out
    }

    /// Writes the file atomically: data goes to a temporary file in the same directory, is fsynced,
    /// then renamed over `url`, so readers see either the old file or the complete new one.
    public func write(to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let tempURL = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        var renamed = false
        defer { if !renamed { try? FileManager.default.removeItem(at: tempURL) } }
        do {
            // O_EXCL: never write through a file (or symlink) that someone else put at the temporary name.
            let fd = open(tempURL.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SafetensorsError("cannot create \(tempURL.path): \(String(cString: strerror(errno)))") }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            let (prefix, order) = layout()
            try handle.write(contentsOf: prefix)
            for name in order { try handle.write(contentsOf: tensors[name]!.bytes) }
            try handle.synchronize()  // the bytes must be durable before the rename publishes them
            try handle.close()
            guard rename(tempURL.path, url.path) == 0 else {
                throw SafetensorsError("cannot rename the temporary file into place: \(String(cString: strerror(errno)))")
            }
            renamed = true
        } catch {
            throw SafetensorsError("\(url.path): \((error as? SafetensorsError)?.message ?? "write failed: \(error)")")
        }
        // Persist the rename itself; best effort, since some filesystems refuse fsync on directories.
        let dirFD = open(directory.path, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 { _ = fsync(dirFD); close(dirFD) }
    }
}

private func jsonQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A parsed JSON value. Numbers keep their text, plus their value when it is an integer that fits `Int`,
/// so offsets beyond Int32 are exact and 1.5, 2.0 or 1e3 can never pass for an integer.
private enum JSONValue {
    case object([String: JSONValue]), array([JSONValue]), string(String), number(String, Int?), bool(Bool), null

    var summary: String {
        switch self {
        case .object: "an object"
        case .array(let items): items.count <= 8 ? "[\(items.map(\.summary).joined(separator: ", "))]" : "an array"
        case .string(let text): "the string \"\(text.prefix(40))\""
        case .number(let text, _): text
        case .bool(let value): "\(value)"
        case .null: "null"
        }
    }
}

/// A strict RFC 8259 parser over the (already UTF-8-validated) header: duplicate keys and trailing
/// garbage are rejected, and nesting is capped so a hostile header can't overflow the stack.
///
/// Why not Foundation's: JSONSerialization and JSONDecoder keep the last of two duplicate keys, so a
/// header naming a tensor twice would load silently, and they are slower here. Measured on a 1.56 MB
/// header of 20,000 tensors (release build, 2026-11-29): this parser plus every check of the archive
/// 52 ms; JSONSerialization's parse alone 125 ms; JSONDecoder into plain structs 84 ms.
private struct JSONParser {
    private let bytes: [UInt8]
    private var i = 0, depth = 0
    /// Escapes that stand for one byte: \" \\ \/ \b \f \n \r \t.
    private static let simpleEscapes: [UInt8: UInt8] =
        [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09]

    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        let value = try parser.value()
        parser.skipWhitespace()  // also consumes the writer's space padding
        guard parser.i == bytes.count else { throw parser.fail("unexpected characters after the top-level value") }
        return value
    }

    private func fail(_ what: String) -> SafetensorsError {
        SafetensorsError("header is not valid JSON: \(what) at byte \(i) of the header")
    }

    private var next: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipWhitespace() {
        while let byte = next, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { i += 1 }
    }

    /// Consumes `char` if it is the next byte (after whitespace, between tokens).
    private mutating func take(_ char: Unicode.Scalar, afterWhitespace: Bool = false) -> Bool {
        if afterWhitespace { skipWhitespace() }
        guard next == UInt8(ascii: char) else { return false }
        i += 1
        return true
    }

    private mutating func value() throws -> JSONValue {
        skipWhitespace()
        guard let byte = next else { throw fail("unexpected end") }
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { throw fail("nesting deeper than 64") }
            let isObject = byte == UInt8(ascii: "{"), close: Unicode.Scalar = isObject ? "}" : "]"
            i += 1
            var members: [String: JSONValue] = [:], items: [JSONValue] = []
            if !take(close, afterWhitespace: true) {
                repeat {
                    if isObject { try member(into: &members) } else { items.append(try value()) }
                } while take(",", afterWhitespace: true)
                guard take(close, afterWhitespace: true) else { throw fail("expected ',' or '\(close)'") }
            }
            return isObject ? .object(members) : .array(items)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func member(into members: inout [String: JSONValue]) throws {
        skipWhitespace()
        let keyStart = i
        guard next == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        let key = try string()
        guard take(":", afterWhitespace: true) else { throw fail("expected ':'") }
        // A duplicate tensor name would be ambiguous; refuse rather than silently pick one.
        guard members.updateValue(try value(), forKey: key) == nil else {
            i = keyStart
            throw fail("duplicate key \"\(key)\"")
        }
    }

    private mutating func literal(_ word: String) throws {
        for char in word.unicodeScalars where !take(char) { throw fail("invalid literal") }
    }

    private mutating func number() throws -> JSONValue {
        let start = i
        func digits() throws {
            guard let digit = next, (0x30...0x39).contains(digit) else { throw fail("invalid number") }
            while let digit = next, (0x30...0x39).contains(digit) { i += 1 }
        }
        _ = take("-")
        if !take("0") { try digits() }  // no leading zeros, so "01" fails at the "1"
        var isInteger = true
        if take(".") { isInteger = false; try digits() }
        if take("e") || take("E") { isInteger = false; if !take("+") { _ = take("-") }; try digits() }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        return .number(text, isInteger ? Int(text) : nil)  // nil also when the integer exceeds Int
    }

    private mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while let byte = next {
            i += 1
            if byte == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard byte >= 0x20 else { i -= 1; throw fail("unescaped control character in string") }
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            if take("u") {
                out.append(contentsOf: String(try unicodeEscape()).utf8)
            } else if let escape = next, let decoded = Self.simpleEscapes[escape] {
                out.append(decoded)
                i += 1
            } else {
                throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    /// The scalar of a `\uXXXX` escape (the `\u` already consumed), joining a UTF-16 surrogate pair.
    private mutating func unicodeEscape() throws -> Unicode.Scalar {
        func hex4() throws -> UInt32 {
            // Digits are checked one by one because UInt32(_:radix:) would also accept a sign ("+1F").
            let digits = bytes[i..<min(i + 4, bytes.count)]
            guard digits.count == 4, digits.allSatisfy({ $0 < 0x80 && Character(Unicode.Scalar($0)).isHexDigit })
            else { throw fail("invalid \\u escape") }
            i += 4
            return UInt32(String(decoding: digits, as: UTF8.self), radix: 16)!
        }
        let high = try hex4()
        guard (0xD800..<0xDC00).contains(high) else {
            guard let scalar = Unicode.Scalar(high) else { throw fail("unpaired surrogate") }
            return scalar
        }
        guard take("\\"), take("u") else { throw fail("unpaired surrogate") }
        let low = try hex4()
        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
        return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
    }
}
