// NumPy's .npy format (versions 1.0, 2.0 and 3.0): `\x93NUMPY`, a version, a header length, then a Python
// dict literal giving 'descr', 'fortran_order' and 'shape', then the raw array. Read into tensors and written.
import CortexCore
import CortexEngine
import Foundation

/// Reads and writes NumPy `.npy` files.
///
/// Element types map onto Cortex dtypes as: `f4` → float32, `f8` → float32 (rounded: float32 is the compute
/// type), `f2` → float16, `i8` → int64, `i4`/`i2` → int32, `i1` → int8, `u1` → uint8, `b1` → bool, little- or
/// big-endian (`<`, `>`, `=`, `|`). A Fortran-ordered array is transposed into Cortex's row-major layout,
/// keeping its shape. Malformed headers and truncated or over-long data throw a `DataError` with the path.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads `url`.
    public static func read(contentsOf url: URL) throws -> Tensor {
        try read(data: try readDataFile(url), path: url.path)
    }

    /// Parses `.npy` bytes held in memory; `path` only labels error messages.
    public static func read(data: Data, path: String? = nil) throws -> Tensor {
        do {
            return try data.withUnsafeBytes { try decode($0) }
        } catch let error as DataError {
            throw error.at(path)
        }
    }

    private static func decode(_ file: UnsafeRawBufferPointer) throws -> Tensor {
        guard file.count >= 10 else { throw DataError("file holds \(file.count) bytes, fewer than the 10-byte .npy preamble") }
        guard file.prefix(6).elementsEqual(magic) else {
            throw DataError("not a .npy file: it starts with \(file.prefix(6).map { String(format: "%02x", $0) }.joined(separator: " ")) "
                            + "instead of \\x93NUMPY")
        }
        let (major, minor) = (file[6], file[7])
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default: throw DataError("unsupported .npy format version \(major).\(minor) (known: 1.0, 2.0, 3.0)")
        }
        guard file.count >= 8 + lengthBytes else { throw DataError("file ends inside the header length field") }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(file[8 + $1]) << (8 * $1) }
        let dataStart = 8 + lengthBytes + headerLength
        guard dataStart <= file.count else {
            throw DataError("header length \(headerLength) runs past the end of the \(file.count)-byte file")
        }
        let header = try NPYHeader(UnsafeRawBufferPointer(rebasing: file[(8 + lengthBytes)..<dataStart]))

        // Checked for the wider of the file's and the tensor's element size: both buffers are laid out.
        guard checkedByteCount(shape: header.shape, elementSize: max(header.itemSize, header.dtype.byteSize)) != nil else {
            throw DataError("shape \(header.shape) is too large: its size in bytes does not fit in 64 bits")
        }
        let count = header.shape.reduce(1, *), byteCount = count * header.itemSize
        let available = file.count - dataStart
        guard available == byteCount else {
            let what = "shape \(shapeText(header.shape)) of '\(header.descr)' needs \(byteCount) bytes of data"
            throw DataError(available < byteCount ? "\(what) but only \(available) remain (truncated file?)"
                                                  : "\(what) but \(available) follow the header (\(available - byteCount) extra)")
        }

        let data = [UInt8](unsafeUninitializedCapacity: count * header.dtype.byteSize) { buffer, initialized in
            if count > 0 {
                convert(UnsafeRawBufferPointer(rebasing: file[dataStart...]), header: header, into: UnsafeMutableRawPointer(buffer.baseAddress!),
                        count: count)
            }
            initialized = count * header.dtype.byteSize
        }
        let out = Tensor(bytes: data, shape: header.shape, dtype: header.dtype)
        guard header.fortranOrder && header.shape.count > 1 else { return out }
        // Column-major: axis 0 varies fastest. Read the buffer through those strides into row-major order.
        var strides: [Int] = [], stride = 1
        for dim in header.shape { strides.append(stride); stride *= dim }
        return out.view(shape: header.shape, strides: strides, offset: 0).contiguousStorage()
    }

    /// Copies `count` elements of the file's type into a Cortex buffer of the mapped dtype, swapping bytes
    /// when the file's byte order is not the machine's.
    private static func convert(_ source: UnsafeRawBufferPointer, header: NPYHeader, into out: UnsafeMutableRawPointer, count: Int) {
        let swap = header.bigEndian == (1.littleEndian == 1)
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            let raw = source.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return swap ? raw.byteSwapped : raw
        }
        switch (header.kind, header.itemSize) {
        case ("f", 8):
            let d = out.assumingMemoryBound(to: Float.self)
            for i in 0..<count { d[i] = Float(Double(bitPattern: load(UInt64.self, i))) }
        case ("i", 2):
            let d = out.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { d[i] = Int32(Int16(bitPattern: load(UInt16.self, i))) }
        case ("b", _):
            let d = out.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { d[i] = source[i] != 0 ? 1 : 0 }
        default:  // same width in the file and in Cortex: copy, then fix the byte order in place
            out.copyMemory(from: source.baseAddress!, byteCount: count * header.itemSize)
            guard swap else { return }
            switch header.itemSize {
            case 2: let p = out.assumingMemoryBound(to: UInt16.self); for i in 0..<count { p[i] = p[i].byteSwapped }
            case 4: let p = out.assumingMemoryBound(to: UInt32.self); for i in 0..<count { p[i] = p[i].byteSwapped }
            case 8: let p = out.assumingMemoryBound(to: UInt64.self); for i in 0..<count { p[i] = p[i].byteSwapped }
            default: break
            }
        }
    }

    // MARK: - Writing

    /// The `.npy` bytes of `tensor` (format 1.0, or 2.0 for a header over 64 KiB), in this machine's byte
    /// order, with the header padded so the data starts on a 64-byte boundary, as NumPy writes it.
    /// bfloat16, which NumPy lacks, is stored as float32 (exactly).
    public static func encode(_ tensor: Tensor) -> Data {
        let source = (tensor.dtype == .bfloat16 ? tensor.to(.float32) : tensor).contiguousStorage()
        let order = 1.littleEndian == 1 ? "<" : ">"
        let descr: String
        switch source.dtype {
        case .float32: descr = order + "f4"
        case .float16: descr = order + "f2"
        case .int64: descr = order + "i8"
        case .int32: descr = order + "i4"
        case .uint8: descr = "|u1"
        case .int8: descr = "|i1"
        case .bool: descr = "|b1"
        case .bfloat16: fatalError("unreachable: bfloat16 was converted above")
        }
        let dims = source.shape.map(String.init)
        let shape = dims.count == 1 ? "(\(dims[0]),)" : "(\(dims.joined(separator: ", ")))"
        var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }".utf8)
        let version: UInt8 = header.count + 1 + 10 <= 65535 ? 1 : 2
        let prefixLength = version == 1 ? 10 : 12
        let padded = (prefixLength + header.count + 1 + 63) / 64 * 64
        header += Array(repeating: UInt8(ascii: " "), count: padded - prefixLength - header.count - 1) + [UInt8(ascii: "\n")]
        var out = Data(magic + [version, 0])
        let length = header.count
        out += (0..<(prefixLength - 8)).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        out += header
        out.append(contentsOf: source.bytes)
        return out
    }

    /// Writes `tensor` to `url` atomically (a temporary file renamed into place), so a failed write never
    /// leaves a half-written file where a good one was.
    public static func write(_ tensor: Tensor, to url: URL) throws {
        do { try encode(tensor).write(to: url, options: .atomic) } catch {
            throw DataError("cannot write file (\(error.localizedDescription))", path: url.path)
        }
    }
}
