// A JSON file that describes a run and sits in its directory (generative-model.json, language-model.json): read
// with an error that says what the directory lacks and how to make one, written atomically with sorted keys.
import Foundation

package protocol RunRecordFile: Codable {
    /// The file's name in a run directory.
    static var fileName: String { get }
    /// What a run of this kind is, for errors ("a generative model").
    static var runDescription: String { get }
    /// The command that trains such a run, for the error about a directory without one.
    static var trainingHint: String { get }
}

extension RunRecordFile {
    package static func exists(in directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(fileName).path)
    }

    package static func read(from directory: URL) throws -> Self {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw PlainError("\(directory.path) holds no \(runDescription) (no \(fileName)); train one with \(trainingHint)")
        }
        do { return try JSONDecoder().decode(Self.self, from: Data(contentsOf: url)) } catch {
            throw PlainError("\(url.path): not a \(runDescription) run config (\(error.localizedDescription))")
        }
    }

    package func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: directory.appendingPathComponent(Self.fileName), options: .atomic)
    }
}
