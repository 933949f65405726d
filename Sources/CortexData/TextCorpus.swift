// Text for character-level language models: a corpus of entries (Debian's fortunes: files of entries
// separated by lines holding "%"), a character vocabulary, and next-character windows as a dataset.
import CortexCore
import CortexEngine
import Foundation

/// A list of text entries, e.g. one fortune each.
public struct TextCorpus: Sendable {
    public let entries: [String]

    public init(entries: [String]) { self.entries = entries }

    /// Where Debian's `fortunes` package puts its files.
    public static let fortunesDirectory = URL(fileURLWithPath: "/usr/share/games/fortunes")

    /// Every fortune of every file in `directory` (the files without an extension; `.dat` indexes and `.u8`
    /// links are skipped), split at lines holding only "%", in file-name order.
    public static func fortunes(directory: URL = fortunesDirectory) throws -> TextCorpus {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw DataError("no fortunes here (Debian's package 'fortunes' installs them)", path: directory.path)
        }
        var entries: [String] = []
        for name in names.sorted() where !name.contains(".") {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            var current: [Substring] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line == "%" {
                    if !current.isEmpty { entries.append(current.joined(separator: "\n")) }
                    current = []
                } else {
                    current.append(line)
                }
            }
            let last = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !last.isEmpty { entries.append(last) }
        }
        guard !entries.isEmpty else { throw DataError("no fortunes found (files of entries separated by '%' lines)", path: directory.path) }
        return TextCorpus(entries: entries)
    }

    /// A held-out split: each entry goes to validation with probability `validationFraction`, drawn from a
    /// generator seeded with `seed`, so the split is the same on every run.
    public func split(validationFraction: Double, seed: UInt64 = 0) -> (train: TextCorpus, validation: TextCorpus) {
        precondition(validationFraction > 0 && validationFraction < 1, "TextCorpus.split: the fraction must be in (0, 1)")
        let generator = RandomGenerator(seed: seed)
        var train: [String] = [], validation: [String] = []
        for entry in entries {
            if Double(generator.nextUniform()) < validationFraction { validation.append(entry) } else { train.append(entry) }
        }
        return (TextCorpus(entries: train), TextCorpus(entries: validation))
    }

    /// The entries as one text, each followed by a line holding "%" (the format the model learns).
    public var text: String { entries.map { $0 + "\n%\n" }.joined() }
}

/// The characters (Unicode scalars) a model reads and writes; id 0 stands for any character it never saw.
public struct CharacterVocabulary: Codable, Sendable, Equatable {
    /// Scalar values in id order, starting at id 1.
    public let scalars: [UInt32]

    public init(scalars: [UInt32]) { self.scalars = scalars }

    /// Every character of `text`, in code-point order.
    public init(text: String) { scalars = Set(text.unicodeScalars.map(\.value)).sorted() }

    /// Ids including the unknown character (0).
    public var count: Int { scalars.count + 1 }

    private var index: [UInt32: Int] { Dictionary(uniqueKeysWithValues: scalars.enumerated().map { ($1, $0 + 1) }) }

    public func encode(_ text: String) -> [Int] {
        let index = self.index
        return text.unicodeScalars.map { index[$0.value] ?? 0 }
    }

    /// The text of `ids`; the unknown id and ids out of range become U+FFFD.
    public func decode(_ ids: [Int]) -> String {
        var view = String.UnicodeScalarView()
        for id in ids {
            let scalar = id >= 1 && id <= scalars.count ? Unicode.Scalar(scalars[id - 1]) : nil
            view.append(scalar ?? "\u{FFFD}")
        }
        return String(view)
    }
}

/// Bits per character of a unigram model (the character counts of `train`, add-one smoothed) on `validation`:
/// the bar a character language model must clear.
public func unigramBitsPerCharacter(train: [Int], validation: [Int], vocabularySize: Int) -> Double {
    var counts = [Double](repeating: 1, count: vocabularySize)
    for id in train { counts[id] += 1 }
    let total = counts.reduce(0, +)
    return -validation.map { log2(counts[$0] / total) }.reduce(0, +) / Double(max(validation.count, 1))
}

extension TensorDataset {
    /// Non-overlapping windows of `length` ids as inputs, each target the same window one id later, as int64
    /// (N, length) tensors: next-token prediction.
    public static func nextTokenWindows(_ ids: [Int], length: Int) -> TensorDataset {
        precondition(length > 0, "nextTokenWindows: length must be positive")
        let windows = max(0, (ids.count - 1) / length)
        var inputs: [Int] = [], targets: [Int] = []
        inputs.reserveCapacity(windows * length)
        targets.reserveCapacity(windows * length)
        for w in 0..<windows {
            inputs += ids[(w * length)..<((w + 1) * length)]
            targets += ids[(w * length + 1)..<((w + 1) * length + 1)]
        }
        return TensorDataset(inputs: Tensor(inputs, shape: [windows, length]), targets: Tensor(targets, shape: [windows, length]))
    }
}
