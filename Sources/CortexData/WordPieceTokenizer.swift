// BERT's tokenizer, equal to Hugging Face's `BertTokenizer`: basic tokenisation (text cleaning, CJK
// characters split apart, lower case, accents stripped, punctuation split off) followed by greedy
// longest-match-first WordPiece over a vocabulary file, with [CLS]/[SEP] and truncation.
import CortexCore
import Foundation

/// Splits text into BERT word pieces and maps them to vocabulary ids.
public struct WordPieceTokenizer: Sendable {
    /// Piece → id, from vocab.txt (one piece per line, the line number is the id).
    public let vocabulary: [String: Int]
    public let lowercase: Bool
    public let unknownToken = "[UNK]", classToken = "[CLS]", separatorToken = "[SEP]", paddingToken = "[PAD]"
    /// Words longer than this (in Unicode scalars) become [UNK], as in Hugging Face's WordPiece.
    public let maxCharactersPerWord = 100

    public var unknownID: Int { vocabulary[unknownToken] ?? 0 }
    public var classID: Int { vocabulary[classToken] ?? 0 }
    public var separatorID: Int { vocabulary[separatorToken] ?? 0 }
    public var paddingID: Int { vocabulary[paddingToken] ?? 0 }

    public init(vocabulary: [String: Int], lowercase: Bool = true) {
        self.vocabulary = vocabulary
        self.lowercase = lowercase
    }

    /// Reads vocab.txt: one piece per line; a piece's id is its line number (from 0).
    public init(vocabularyFile url: URL, lowercase: Bool = true) throws {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw DataError("cannot read the vocabulary: \(error.localizedDescription)", path: url.path)
        }
        var vocabulary: [String: Int] = [:]
        for (id, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let piece = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if piece.isEmpty { continue }
            if vocabulary[piece] == nil { vocabulary[piece] = id }
        }
        for required in ["[UNK]", "[CLS]", "[SEP]"] where vocabulary[required] == nil {
            throw DataError("the vocabulary has no \(required) token", path: url.path)
        }
        self.init(vocabulary: vocabulary, lowercase: lowercase)
    }

    /// The word pieces of `text` (no special tokens).
    public func tokenize(_ text: String) -> [String] {
        basicTokens(text).flatMap(wordPieces)
    }

    /// Ids of [CLS] + pieces + [SEP], the pieces cut so the whole is at most `maxLength` ids.
    public func encode(_ text: String, maxLength: Int = 512) -> [Int] {
        precondition(maxLength >= 2, "WordPieceTokenizer.encode: maxLength must leave room for [CLS] and [SEP]")
        let ids = tokenize(text).map { vocabulary[$0] ?? unknownID }
        return [classID] + ids.prefix(maxLength - 2) + [separatorID]
    }

    // MARK: - Basic tokenisation

    /// Cleans the text, isolates CJK ideographs, splits on whitespace, then lower-cases, strips accents and
    /// splits off punctuation in each word.
    func basicTokens(_ text: String) -> [String] {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isCJK(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        let normalized = String(cleaned).precomposedStringWithCanonicalMapping
        var tokens: [String] = []
        for word in normalized.split(separator: " ", omittingEmptySubsequences: true) {
            var w = String(word)
            if lowercase {
                w = w.lowercased()
                // Accents: decompose and drop the combining marks.
                w = String(String.UnicodeScalarView(w.decomposedStringWithCanonicalMapping.unicodeScalars.filter {
                    $0.properties.generalCategory != .nonspacingMark
                }))
            }
            tokens += splitOnPunctuation(w)
        }
        return tokens
    }

    private func splitOnPunctuation(_ word: String) -> [String] {
        var pieces: [String] = [], current = String.UnicodeScalarView()
        for scalar in word.unicodeScalars {
            if isPunctuation(scalar) {
                if !current.isEmpty { pieces.append(String(current)); current = String.UnicodeScalarView() }
                pieces.append(String(scalar))
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { pieces.append(String(current)) }
        return pieces
    }

    /// Greedy longest-match-first: the longest vocabulary prefix, then "##"-prefixed continuations; a word
    /// with a part no piece matches is [UNK] as a whole.
    func wordPieces(_ word: String) -> [String] {
        let scalars = Array(word.unicodeScalars)
        if scalars.count > maxCharactersPerWord { return [unknownToken] }
        var pieces: [String] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count, match: String? = nil
            while start < end {
                var candidate = String(String.UnicodeScalarView(scalars[start..<end]))
                if start > 0 { candidate = "##" + candidate }
                if vocabulary[candidate] != nil { match = candidate; break }
                end -= 1
            }
            guard let match else { return [unknownToken] }
            pieces.append(match)
            start = end
        }
        return pieces
    }

    private func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.generalCategory == .spaceSeparator
    }

    private func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        let category = s.properties.generalCategory
        return category == .control || category == .format
    }

    /// ASCII symbols count as punctuation too (as in BERT), besides Unicode's P* categories.
    private func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT splits into single characters.
    private func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
