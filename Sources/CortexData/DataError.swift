// The one error type of the data-file readers (IDX, CSV, NPY/NPZ, gzip): anything wrong with a file
// or its contents, said with the file it came from and where in it.
import CortexCore
import Foundation

/// A malformed, truncated or unsupported data file, or one that could not be read or written.
/// `path` names the file (or the entry inside an archive, as `archive.npz[x.npy]`); `message` says what
/// is wrong and where, e.g. "header says 60000×28×28 bytes but only 1234 remain".
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String?
    public let message: String

    public init(_ message: String, path: String? = nil) {
        self.message = message
        self.path = path
    }

    public var description: String { path.map { "\($0): \(message)" } ?? message }

    /// The same error attributed to `path`, unless it already names a file.
    func at(_ path: String?) -> DataError { self.path == nil ? DataError(message, path: path) : self }
}

/// Reads a whole file, turning the I/O failure into a `DataError` that names it. Files are read, not
/// memory-mapped, because a mapped file truncated by another process would crash us (SIGBUS).
func readDataFile(_ url: URL) throws -> Data {
    do { return try Data(contentsOf: url) } catch {
        throw DataError("cannot read file (\(error.localizedDescription))", path: url.path)
    }
}

/// `a×b×c` for messages about shapes.
func shapeText(_ dims: [Int]) -> String { dims.isEmpty ? "scalar" : dims.map(String.init).joined(separator: "×") }

/// Sizes in words for messages: "1.2 GB" (decimal units, as disks and memory are sold).
public enum ByteCount {
    public static func text(_ bytes: Double) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        var value = bytes, unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(Int(value)) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}
