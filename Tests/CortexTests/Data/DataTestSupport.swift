// Helpers shared by the data-reader tests: scratch directories, gzip compression through zlib, and an
// expectation that a reader throws a DataError that names the file and says what is wrong.
import CZlib
import Foundation
import Testing
import Cortex

/// A fresh directory, removed after `body`.
func withScratchDirectory(_ body: (URL) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try body(dir)
}

/// `bytes` compressed as one gzip member by zlib (windowBits 15 + 16 selects the gzip wrapper).
func gzipped(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    let status = deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                               Int32(MemoryLayout<z_stream>.size))
    precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    defer { deflateEnd(&stream) }
    var input = bytes
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
    let produced: Int = input.withUnsafeMutableBufferPointer { inBuf in
        output.withUnsafeMutableBufferPointer { outBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            stream.next_out = outBuf.baseAddress
            stream.avail_out = uInt(outBuf.count)
            let result = deflate(&stream, Z_FINISH)
            precondition(result == Z_STREAM_END, "deflate did not finish: \(result)")
            return outBuf.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<produced])
}

/// Writes `bytes` to `name` inside `dir` and returns its URL.
@discardableResult
func writeFile(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> URL {
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

/// Runs `body`, expecting a `DataError` whose description contains every one of `fragments`.
func expectDataError(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () throws -> Void) {
    let error = #expect(throws: DataError.self, sourceLocation: sourceLocation) { try body() }
    for fragment in fragments {
        #expect(error?.description.contains(fragment) == true,
                "\(error?.description ?? "no error") lacks '\(fragment)'", sourceLocation: sourceLocation)
    }
}
