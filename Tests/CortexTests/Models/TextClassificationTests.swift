// Text classification pieces: a folder-of-folders corpus, padded WordPiece ids, and an LSTM classifier that
// learns which topic a text is about.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("Text classification")
struct TextClassificationTests {
    @Test func aFolderOfFoldersIsACorpus() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        for (topic, texts) in [("sport", ["goal", "match"]), ("business", ["shares"])] {
            let folder = root.appendingPathComponent(topic)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (i, text) in texts.enumerated() { try text.write(to: folder.appendingPathComponent("\(i).txt"), atomically: true, encoding: .utf8) }
        }
        try "not an example".write(to: root.appendingPathComponent("sport/notes.md"), atomically: true, encoding: .utf8)
        let corpus = try LabelledTexts.folders(root)
        #expect(corpus.classNames == ["business", "sport"])
        #expect(corpus.texts == ["shares", "goal", "match"])
        #expect(corpus.labels == [0, 1, 1])
        try FileManager.default.removeItem(at: root.appendingPathComponent("business"))
        #expect(throws: DataError.self) { try LabelledTexts.folders(root) }
    }

    /// A tokenizer over a handful of words.
    private func tokenizer() -> WordPieceTokenizer {
        let words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "team", "won", "match", "shares", "fell", "market", "goal", "profit"]
        return WordPieceTokenizer(vocabulary: Dictionary(uniqueKeysWithValues: words.enumerated().map { ($1, $0) }))
    }

    @Test func idsArePaddedWithZeroAndCut() {
        let ids = paddedIDs(["the team won", "the market fell the market fell"], tokenizer: tokenizer(), length: 6)
        #expect(ids.shape == [2, 6])
        #expect(ids.integers == [2, 4, 5, 6, 3, 0, 2, 4, 10, 9, 4, 3])
    }

    @Test func theLSTMClassifierLearnsTopics() throws {
        let sport = ["the team won", "the match goal", "team won the match", "goal the team"]
        let business = ["shares fell", "the market fell", "profit the market", "shares profit fell"]
        let texts = Array(repeating: sport + business, count: 6).flatMap { $0 }
        let labels = Array(repeating: [0, 0, 0, 0, 1, 1, 1, 1], count: 6).flatMap { $0 }
        let data = TensorDataset(inputs: paddedIDs(texts, tokenizer: tokenizer(), length: 8), targets: Tensor(labels))
        let model = TextLSTMClassifier(vocabularySize: 13, classes: 2, embeddingSize: 8, hiddenSize: 8, seed: 1)
        let trainer = Trainer(model, Adam(model.parameters(), learningRate: 0.05), loss: .crossEntropy)
        let history = try trainer.fit(data, epochs: 15, batchSize: 8, seed: 2)
        #expect((history.epochs.last?.trainMetric ?? 0) == 1, "\(history.epochs.map(\.trainMetric))")
        let predicted = noGrad { model(paddedIDs(["the team won the match", "the market fell"], tokenizer: tokenizer(), length: 8)) }
        #expect(predicted.argmax(dim: 1).integers == [0, 1])
    }
}
