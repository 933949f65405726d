// Labelled text from a folder of folders: each subfolder is a class, each .txt file in it one example —
// the layout of BBC News and of most text-classification corpora on disk.
import CortexCore
import Foundation

/// Texts with integer class labels; class i is `classNames[i]`.
public struct LabelledTexts: Sendable {
    public let texts: [String]
    public let labels: [Int]
    public let classNames: [String]

    public init(texts: [String], labels: [Int], classNames: [String]) {
        precondition(texts.count == labels.count, "LabelledTexts: \(texts.count) texts but \(labels.count) labels")
        (self.texts, self.labels, self.classNames) = (texts, labels, classNames)
    }

    /// Every `.txt` file under each subfolder of `directory` (classes in name order, files in name order),
    /// read as UTF-8 (Latin-1 when a file is not UTF-8).
    public static func folders(_ directory: URL) throws -> LabelledTexts {
        let manager = FileManager.default
        let classes: [String]
        do {
            classes = try manager.contentsOfDirectory(atPath: directory.path).filter { name in
                var isDirectory: ObjCBool = false
                return !name.hasPrefix(".") && manager.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isDirectory)
                    && isDirectory.boolValue
            }.sorted()
        } catch {
            throw DataError("cannot list the corpus folder: \(error.localizedDescription)", path: directory.path)
        }
        guard classes.count >= 2 else { throw DataError("a corpus needs at least two class folders, found \(classes.count)", path: directory.path) }
        var texts: [String] = [], labels: [Int] = []
        for (label, name) in classes.enumerated() {
            let folder = directory.appendingPathComponent(name)
            for file in try manager.contentsOfDirectory(atPath: folder.path).filter({ $0.hasSuffix(".txt") }).sorted() {
                let data = try Data(contentsOf: folder.appendingPathComponent(file))
                texts.append(String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) ?? "")
                labels.append(label)
            }
        }
        return LabelledTexts(texts: texts, labels: labels, classNames: classes)
    }

    /// The examples at `indices`.
    public func subset(_ indices: [Int]) -> LabelledTexts {
        LabelledTexts(texts: indices.map { texts[$0] }, labels: indices.map { labels[$0] }, classNames: classNames)
    }
}
