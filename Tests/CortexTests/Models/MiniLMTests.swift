// all-MiniLM-L6-v2 loaded from Hugging Face's files: the tokenizer's ids and the sentence embeddings
// equal sentence-transformers' for every reference sentence.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("MiniLM", .enabled(if: Fixtures.miniLMAvailable, "run scripts/fetch-minilm (scripts/test does) to test the pretrained encoder"))
struct MiniLMTests {
    struct Reference {
        let text: String
        let ids: [Int]
        let embedding: [Float]
    }

    static func references() throws -> [Reference] {
        let directory = Fixtures.miniLMFixtures
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("sentences.json"))) as! [String: Any]
        let archive = try SafetensorsArchive(contentsOf: directory.appendingPathComponent("reference.safetensors"))
        return try (json["sentences"] as! [[String: Any]]).map { s in
            let i = s["index"] as! Int
            return Reference(text: s["text"] as! String, ids: try archive.tensor("\(i)/input_ids").integers,
                             embedding: try archive.tensor("\(i)/embedding").scalars)
        }
    }

    @Test func everySentenceEmbedsAsSentenceTransformersDoes() throws {
        let encoder = try SentenceEncoder(directory: Fixtures.miniLMModel)
        let references = try Self.references()
        #expect(references.count >= 10)
        for r in references {
            #expect(encoder.ids(r.text) == r.ids, "ids of \(r.text.prefix(40))")
        }
        // All at once, in batches that mix lengths: padding must not change any embedding.
        let embeddings = encoder.encode(references.map(\.text), batchSize: 4)
        for (i, r) in references.enumerated() {
            let got = embeddings.selected(0, i).scalars
            let worst = zip(got, r.embedding).map { abs($0 - $1) }.max() ?? .infinity
            #expect(got.count == r.embedding.count && worst <= 1e-4, "sentence \(i) (\(r.text.prefix(40))): max difference \(worst)")
        }
    }

    @Test func theTokenizerSplitsAsBERTDoes() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyFile: Fixtures.miniLMModel.appendingPathComponent("vocab.txt"))
        #expect(tokenizer.tokenize("Café, naïve!") == ["cafe", ",", "naive", "!"])
        // Greedy longest match first: the longest prefix in the vocabulary, then "##" continuations.
        #expect(tokenizer.tokenize("unaffable") == ["una", "##ffa", "##ble"])
        // CJK ideographs are split one per token (this English vocabulary knows neither, so each is [UNK]).
        #expect(tokenizer.tokenize("深度") == ["[UNK]", "[UNK]"])
        #expect(tokenizer.tokenize(String(repeating: "a", count: 101)) == ["[UNK]"])
        #expect(tokenizer.encode("hello world", maxLength: 3) == [tokenizer.classID, tokenizer.vocabulary["hello"]!, tokenizer.separatorID])
    }
}
