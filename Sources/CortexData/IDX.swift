// The IDX format of MNIST and Fashion-MNIST: `00 00 <type> <ndims>`, ndims big-endian UInt32 sizes, then
// the values, big-endian, row-major. Plain or gzip-compressed (told apart by the gzip magic, not the name).
import CortexCore
import CortexEngine
import Foundation

/// Reads IDX files into tensors.
///
/// Element types map onto Cortex dtypes as: 0x08 unsigned byte → `uint8`; 0x09 signed byte, 0x0B short,
/// 0x0C int → `int32`; 0x0D float, 0x0E double → `float32` (doubles are rounded, float32 being the compute
/// type). The tensor has the file's shape. A bad magic number, a truncated header or data, dimensions whose
/// product overflows or disagrees with the file's size, a corrupt gzip stream and trailing bytes all throw
/// a `DataError` naming the file.
public enum IDX {
    /// Reads `url`, plain or gzip-compressed.
    public static func read(contentsOf url: URL) throws -> Tensor {
        try read(data: try readDataFile(url), path: url.path)
    }

    /// Parses IDX bytes (plain or gzip) held in memory; `path` only labels error messages.
    public static func read(data: Data, path: String? = nil) throws -> Tensor {
        var source = try ByteSource(data, path: path)
        return try decode(&source, path: path)
    }

    private enum ElementType: UInt8 {
        case ubyte = 0x08, byte = 0x09, short = 0x0B, int = 0x0C, float = 0x0D, double = 0x0E

        var byteSize: Int {
            switch self {
            case .ubyte, .byte: 1
            case .short: 2
            case .int, .float: 4
            case .double: 8
            }
        }

        var dtype: DType {
            switch self {
            case .ubyte: .uint8
            case .byte, .short, .int: .int32
            case .float, .double: .float32
            }
        }
    }

    private static func decode(_ source: inout ByteSource, path: String?) throws -> Tensor {
        func fail(_ message: String) -> DataError { DataError(message, path: path) }
        var magic = [UInt8](repeating: 0, count: 4)
        let got = try magic.withUnsafeMutableBytes { try source.read(into: $0) }
        guard got == 4 else { throw fail("file holds \(got) bytes, fewer than the 4-byte IDX magic number") }
        let magicText = magic.map { String(format: "%02x", $0) }.joined(separator: " ")
        guard magic[0] == 0, magic[1] == 0 else {
            throw fail("bad magic number \(magicText): an IDX file starts with 00 00 <type> <dimensions>")
        }
        guard let type = ElementType(rawValue: magic[2]) else {
            throw fail(String(format: "unknown element type 0x%02X in magic number %@ ", magic[2], magicText)
                       + "(known: 08 ubyte, 09 byte, 0B short, 0C int, 0D float, 0E double)")
        }
        let rank = Int(magic[3])
        guard rank > 0 else { throw fail("magic number \(magicText) declares 0 dimensions") }

        var sizeBytes = [UInt8](repeating: 0, count: 4 * rank)
        let sizeGot = try sizeBytes.withUnsafeMutableBytes { try source.read(into: $0) }
        guard sizeGot == sizeBytes.count else {
            throw fail("header declares \(rank) dimensions (\(4 * rank) bytes of sizes) but the file ends after "
                       + "\(sizeGot) of them")
        }
        let shape = (0..<rank).map { axis in
            sizeBytes[(4 * axis)..<(4 * axis + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        // Checked for the wider of the file's and the tensor's element size (bytes become int32): both are laid out.
        guard let byteCount = checkedByteCount(shape: shape, elementSize: type.byteSize),
              checkedByteCount(shape: shape, elementSize: type.dtype.byteSize) != nil else {
            throw fail("dimensions \(shapeText(shape)) are too large: their size in bytes does not fit in 64 bits")
        }
        let declared = type.byteSize == 1 ? "\(shapeText(shape)) bytes"
            : "\(shapeText(shape)) values of \(type.byteSize) bytes (\(byteCount) bytes)"
        // Checked before allocating, so a lying header cannot make us reserve gigabytes for a small file.
        if let available = source.maximumRemaining, available < byteCount {
            let exact = source.isCompressed ? "the compressed file could hold at most" : "only"
            throw fail("header says \(declared) but \(exact) \(available) remain")
        }

        let elementCount = shape.reduce(1, *)
        var data = [UInt8](repeating: 0, count: elementCount * type.dtype.byteSize)
        try data.withUnsafeMutableBytes { destination in
            // Values whose Cortex type has the file's width are read in place; the others go through a scratch buffer.
            let inPlace = type.byteSize == type.dtype.byteSize
            let staging = inPlace ? destination : .allocate(byteCount: byteCount, alignment: 16)
            defer { if !inPlace { staging.deallocate() } }
            let read = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: staging[0..<byteCount]))
            guard read == byteCount else {
                throw fail("header says \(declared) but only \(read) remain\(source.isCompressed ? " after decompression" : "")")
            }
            convertBigEndian(type, from: UnsafeRawBufferPointer(staging), into: destination, count: elementCount)
        }
        let out = Tensor(bytes: data, shape: shape, dtype: type.dtype)
        let trailing = try source.remainingCount()
        guard trailing == 0 else {
            throw fail("\(trailing) bytes of trailing data after the \(declared) the header declares")
        }
        return out
    }

    /// Turns the file's big-endian values into native Cortex values; `source` and `destination` may be the
    /// same memory when the widths agree.
    private static func convertBigEndian(_ type: ElementType, from source: UnsafeRawBufferPointer,
                                         into destination: UnsafeMutableRawBufferPointer, count: Int) {
        let out = destination.baseAddress!
        switch type {
        case .ubyte:
            break
        case .byte:
            let s = source.baseAddress!.assumingMemoryBound(to: Int8.self), d = out.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { d[i] = Int32(s[i]) }
        case .short:
            let d = out.assumingMemoryBound(to: Int32.self)
            for i in 0..<count {
                d[i] = Int32(Int16(bitPattern: UInt16(bigEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
            }
        case .int, .float:
            let words = out.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count { words[i] = UInt32(bigEndian: words[i]) }
        case .double:
            let d = out.assumingMemoryBound(to: Float.self)
            for i in 0..<count {
                d[i] = Float(Double(bitPattern: UInt64(bigEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        }
    }
}

/// The bytes of a data file in order, decompressing on the fly when it is gzip.
struct ByteSource {
    private let data: Data
    private var offset = 0
    private let inflater: Inflater?

    init(_ data: Data, path: String?) throws {
        self.data = data
        inflater = Inflater.isGzip(data) ? try Inflater(data, format: .gzip, path: path) : nil
    }

    var isCompressed: Bool { inflater != nil }

    /// An upper bound on the bytes still to come: exact for a plain file, the deflate limit for gzip.
    var maximumRemaining: Int? {
        guard inflater != nil else { return data.count - offset }
        let (bound, overflow) = data.count.multipliedReportingOverflow(by: Inflater.maxExpansion)
        return overflow ? nil : bound
    }

    /// Fills `buffer`; returns fewer bytes than asked only at the end of the data.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let inflater { return try inflater.read(into: buffer) }
        let n = min(buffer.count, data.count - offset)
        if n > 0 {
            data.withUnsafeBytes { raw in buffer.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: n) }
        }
        offset += n
        return n
    }

    /// Consumes the rest and says how many bytes it held.
    mutating func remainingCount() throws -> Int {
        if let inflater { return try inflater.skipToEnd() }
        defer { offset = data.count }
        return data.count - offset
    }
}
