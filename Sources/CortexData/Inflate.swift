// Decompression through the system zlib: gzip files (one or more members, as `gzip` and `cat a.gz b.gz`
// make them) and raw deflate streams (zip entries), inflated piece by piece into a caller's buffer.
import CortexCore
import CZlib
import Foundation

/// Streams the decompressed bytes of a compressed buffer held in memory. Reading in pieces lets a reader
/// inflate a 47 MB image file straight into its tensor, with no second copy of the decompressed data.
final class Inflater {
    enum Format { case gzip, rawDeflate }

    /// Largest expansion deflate can produce (about 1032:1 for a stream of zeros), used to reject a header
    /// that promises more data than its compressed file could ever hold, before allocating for it.
    static let maxExpansion = 1100

    private let input: Data
    private let format: Format
    private let path: String?
    private var stream: UnsafeMutablePointer<z_stream>
    private var inputOffset = 0
    private var memberEnded = false
    /// Decompressed bytes handed out so far, for messages.
    private(set) var producedCount = 0

    /// True when `data` starts with the gzip magic bytes 1f 8b (the name of the file is not consulted).
    static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    init(_ input: Data, format: Format, path: String?) throws {
        self.input = input
        self.format = format
        self.path = path
        // zlib's state points back at its z_stream, so the stream must stay at one address: allocate it.
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16 accepts a gzip wrapper only; -15 means raw deflate with no wrapper, as zip stores it.
        let status = inflateInit2_(stream, format == .gzip ? 31 : -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            throw DataError("zlib could not start inflating (error \(status))", path: path)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    private var what: String { format == .gzip ? "gzip stream" : "deflate stream" }

    /// Fills `buffer` with the next decompressed bytes and returns how many it wrote: fewer than
    /// `buffer.count` only when the stream has ended. Throws on corrupt or truncated data, and on bytes
    /// after the stream that are not another gzip member.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var written = 0
        while written < buffer.count {
            if memberEnded {
                guard try startNextMember() else { break }
            }
            let remaining = input.count - inputOffset
            let outSpace = min(buffer.count - written, Int(UInt32.max))
            let inChunk = min(remaining, Int(UInt32.max))
            let (status, consumed, produced) = input.withUnsafeBytes { raw -> (Int32, Int, Int) in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: raw.baseAddress.map {
                    $0.assumingMemoryBound(to: Bytef.self) + inputOffset
                })
                stream.pointee.avail_in = UInt32(inChunk)
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self) + written
                stream.pointee.avail_out = UInt32(outSpace)
                let status = inflate(stream, Z_NO_FLUSH)
                let consumed = inChunk - Int(stream.pointee.avail_in)
                let produced = outSpace - Int(stream.pointee.avail_out)
                stream.pointee.next_in = nil   // the pointer dies with this closure
                stream.pointee.next_out = nil
                return (status, consumed, produced)
            }
            inputOffset += consumed
            written += produced
            producedCount += produced
            switch status {
            case Z_STREAM_END:
                memberEnded = true
            case Z_OK, Z_BUF_ERROR:
                // Output space left over and no input left means the stream stopped before its end marker.
                if inputOffset == input.count && written < buffer.count && produced == 0 {
                    throw DataError("\(what) is truncated: it ends after \(producedCount) decompressed bytes "
                                    + "without its end marker", path: path)
                }
            case Z_DATA_ERROR:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "invalid data"
                throw DataError("corrupt \(what) (\(reason)) near compressed byte \(inputOffset), after "
                                + "\(producedCount) decompressed bytes", path: path)
            case Z_MEM_ERROR:
                throw DataError("zlib ran out of memory while inflating", path: path)
            default:
                throw DataError("zlib error \(status) while inflating the \(what)", path: path)
            }
        }
        return written
    }

    /// After one gzip member ends: true if another follows (and is started), false at the end of input.
    private func startNextMember() throws -> Bool {
        let remaining = input.count - inputOffset
        if remaining == 0 { return false }
        let isMember = format == .gzip && Inflater.isGzip(input.dropFirst(inputOffset))
        guard isMember else {
            throw DataError("\(remaining) bytes of trailing garbage after the \(what) (at byte \(inputOffset))",
                            path: path)
        }
        inflateReset(stream)
        memberEnded = false
        return true
    }

    /// Decompresses and discards the rest of the stream, returning how many bytes it held.
    func skipToEnd() throws -> Int {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        var total = 0
        while true {
            let n = try read(into: scratch)
            total += n
            if n < scratch.count { return total }
        }
    }

    /// Inflates a raw deflate stream that must decompress to exactly `output.count` bytes.
    static func inflateRaw(_ input: Data, into output: UnsafeMutableRawBufferPointer, path: String?) throws {
        let inflater = try Inflater(input, format: .rawDeflate, path: path)
        let n = try inflater.read(into: output)
        guard n == output.count else {
            throw DataError("deflate stream holds \(n) bytes, but the archive declares \(output.count)", path: path)
        }
        let extra = try inflater.skipToEnd()
        guard extra == 0 else {
            throw DataError("deflate stream holds \(n + extra) bytes, but the archive declares \(output.count)",
                            path: path)
        }
    }
}

/// The CRC-32 used by gzip and zip (zlib's `crc32`), over any number of bytes.
func crc32Checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc: uLong = 0
    var offset = 0
    while offset < bytes.count {
        let chunk = min(bytes.count - offset, Int(UInt32.max))
        crc = crc32(crc, bytes.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset, uInt(chunk))
        offset += chunk
    }
    return UInt32(truncatingIfNeeded: crc)
}

public enum Gzip {
    /// The decompressed bytes of a gzip file held in memory (every member, as `zcat` gives them); a
    /// `DataError` labelled with `path` for a truncated or corrupt stream.
    public static func decompress(_ data: Data, path: String? = nil) throws -> Data {
        guard Inflater.isGzip(data) else { throw DataError("not a gzip file (no 1f 8b signature)", path: path) }
        let inflater = try Inflater(data, format: .gzip, path: path)
        var out = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try inflater.read(into: $0) }
            out.append(contentsOf: chunk[..<count])
            if count < chunk.count { return out }
        }
    }
}
