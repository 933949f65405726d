// NumPy's .npz archives (np.savez, np.savez_compressed): a zip of .npy files. Reads the zip subset NumPy
// writes — stored or deflated entries, zip64 sizes — checking every offset and each entry's CRC-32.
import CortexCore
import Foundation

/// Reads `.npz` archives into named tensors.
///
/// Entries are named as NumPy names them (`x.npy` is `x`). Entries may be stored or deflated (inflated
/// with the system zlib); encrypted entries, other compression methods and multi-disk archives throw.
/// The zip structure is parsed here rather than through a zip package because NumPy's archives need only
/// this small subset, zlib is already linked for gzip, and every failure then names the archive and entry.
public enum NPZ {
    /// Reads every array of the archive at `url`.
    public static func read(contentsOf url: URL) throws -> [String: Tensor] {
        try read(data: try readDataFile(url), path: url.path)
    }

    /// Parses an archive held in memory; `path` only labels error messages.
    public static func read(data: Data, path: String? = nil) throws -> [String: Tensor] {
        let label = path ?? "archive"
        var tensors: [String: Tensor] = [:]
        for entry in try entries(of: data, path: path) {
            let name = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            guard tensors[name] == nil else { throw DataError("two entries are named '\(entry.name)'", path: path) }
            let entryPath = "\(label)[\(entry.name)]"
            tensors[name] = try NPY.read(data: try contents(of: entry, in: data, path: entryPath), path: entryPath)
        }
        return tensors
    }

    struct Entry {
        let name: String
        let method: UInt16
        let flags: UInt16
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    /// The central directory's entries, every offset checked against the archive's size.
    static func entries(of data: Data, path: String?) throws -> [Entry] {
        try data.withUnsafeBytes { file in
            let reader = ZipReader(file: file, path: path)
            let end = try reader.endOfCentralDirectory()
            var entries: [Entry] = []
            var offset = end.directoryOffset
            for index in 0..<end.entryCount {
                guard try reader.u32(offset) == 0x0201_4B50 else {
                    throw reader.fail("central directory entry \(index + 1) at byte \(offset) has a bad signature")
                }
                let nameLength = Int(try reader.u16(offset + 28)), extraLength = Int(try reader.u16(offset + 30))
                let commentLength = Int(try reader.u16(offset + 32))
                let name = String(decoding: try reader.bytes(offset + 46, nameLength), as: UTF8.self)
                var compressed = Int(try reader.u32(offset + 20)), size = Int(try reader.u32(offset + 24))
                var local = Int(try reader.u32(offset + 42))
                // Zip64: sizes and offset that overflow 32 bits are 0xFFFFFFFF here and follow in extra field 0x0001.
                if size == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                    var field = offset + 46 + nameLength
                    let fieldsEnd = field + extraLength
                    while field + 4 <= fieldsEnd {
                        let id = try reader.u16(field), length = Int(try reader.u16(field + 2))
                        if id == 0x0001 {
                            var at = field + 4
                            if size == 0xFFFF_FFFF { size = try reader.int64(at, "\(name) size"); at += 8 }
                            if compressed == 0xFFFF_FFFF { compressed = try reader.int64(at, "\(name) compressed size"); at += 8 }
                            if local == 0xFFFF_FFFF { local = try reader.int64(at, "\(name) offset") }
                        }
                        field += 4 + length
                    }
                }
                entries.append(Entry(name: name, method: try reader.u16(offset + 10), flags: try reader.u16(offset + 8),
                                     crc: try reader.u32(offset + 16), compressedSize: compressed, size: size,
                                     localHeaderOffset: local))
                offset += 46 + nameLength + extraLength + commentLength
            }
            return entries
        }
    }

    /// An entry's uncompressed bytes, checked against its declared size and CRC-32.
    static func contents(of entry: Entry, in data: Data, path: String) throws -> Data {
        let start: Int = try data.withUnsafeBytes { file in
            let reader = ZipReader(file: file, path: path)
            let at = entry.localHeaderOffset
            guard try reader.u32(at) == 0x0403_4B50 else { throw reader.fail("local header at byte \(at) has a bad signature") }
            let start = at + 30 + Int(try reader.u16(at + 26)) + Int(try reader.u16(at + 28))
            _ = try reader.bytes(start, entry.compressedSize)  // bounds check
            return start
        }
        guard entry.flags & 1 == 0 else { throw DataError("entry is encrypted", path: path) }
        let packed = data[(data.startIndex + start)..<(data.startIndex + start + entry.compressedSize)]
        var out: Data
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.size else {
                throw DataError("stored entry declares \(entry.size) bytes but holds \(entry.compressedSize)", path: path)
            }
            out = Data(packed)
        case 8:
            let (bound, overflow) = entry.compressedSize.multipliedReportingOverflow(by: Inflater.maxExpansion)
            guard overflow || entry.size <= bound + 64 else {
                throw DataError("declares \(entry.size) bytes, more than \(entry.compressedSize) deflated bytes can hold", path: path)
            }
            out = Data(count: entry.size)
            try out.withUnsafeMutableBytes { try Inflater.inflateRaw(Data(packed), into: $0, path: path) }
        default:
            throw DataError("compression method \(entry.method) is not supported (only stored and deflate)", path: path)
        }
        let crc = out.withUnsafeBytes { crc32Checksum($0) }
        guard crc == entry.crc else {
            throw DataError(String(format: "CRC-32 mismatch: the data hashes to %08x, the archive says %08x", crc, entry.crc), path: path)
        }
        return out
    }
}

/// Little-endian fields of a zip file, each read after a bounds check.
private struct ZipReader {
    let file: UnsafeRawBufferPointer
    let path: String?

    func fail(_ message: String) -> DataError { DataError("malformed zip archive: \(message)", path: path) }

    func bytes(_ offset: Int, _ count: Int) throws -> UnsafeRawBufferPointer {
        guard offset >= 0, count >= 0, offset <= file.count, count <= file.count - offset else {
            throw fail("\(count) bytes at byte \(offset) lie past the end of the \(file.count)-byte file")
        }
        return UnsafeRawBufferPointer(rebasing: file[offset..<(offset + count)])
    }

    func u16(_ offset: Int) throws -> UInt16 { UInt16(littleEndian: try bytes(offset, 2).loadUnaligned(as: UInt16.self)) }
    func u32(_ offset: Int) throws -> UInt32 { UInt32(littleEndian: try bytes(offset, 4).loadUnaligned(as: UInt32.self)) }
    func int64(_ offset: Int, _ what: String) throws -> Int {
        let value = UInt64(littleEndian: try bytes(offset, 8).loadUnaligned(as: UInt64.self))
        guard value <= UInt64(file.count) * UInt64(Inflater.maxExpansion) else { throw fail("\(what) \(value) is implausibly large") }
        return Int(value)
    }

    /// Entry count and central directory offset, from the end record (and the zip64 one when present).
    func endOfCentralDirectory() throws -> (entryCount: Int, directoryOffset: Int) {
        guard file.count >= 22 else { throw fail("the file holds \(file.count) bytes, fewer than a zip end record") }
        // The end record is the last 22 bytes plus a comment of up to 65535 bytes: search backwards for it.
        var at = file.count - 22
        while try u32(at) != 0x0605_4B50 {
            guard at > 0, file.count - at < 22 + 65535 else { throw fail("no end-of-central-directory record (not a zip file?)") }
            at -= 1
        }
        guard try u16(at + 4) == 0, try u16(at + 6) == 0 else { throw fail("multi-disk archives are not supported") }
        var count = Int(try u16(at + 10)), offset = Int(try u32(at + 16))
        if count == 0xFFFF || offset == 0xFFFF_FFFF {
            guard at >= 20, try u32(at - 20) == 0x0706_4B50 else { throw fail("zip64 sizes without a zip64 locator") }
            let record = try int64(at - 12, "zip64 end record offset")
            guard try u32(record) == 0x0606_4B50 else { throw fail("zip64 end record at byte \(record) has a bad signature") }
            count = try int64(record + 32, "entry count")
            offset = try int64(record + 48, "central directory offset")
        }
        guard offset <= file.count else { throw fail("central directory offset \(offset) lies past the end of the file") }
        return (count, offset)
    }
}
