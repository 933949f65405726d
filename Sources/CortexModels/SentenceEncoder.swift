// Sentence embeddings as sentence-transformers makes them: WordPiece ids, a BERT encoder, mean pooling
// over the real tokens, L2 normalisation — all-MiniLM-L6-v2's pipeline.
import CortexCore
import CortexData
import Foundation

public final class SentenceEncoder {
    public let model: BertModel
    public let tokenizer: WordPieceTokenizer
    /// Word pieces per sentence, [CLS] and [SEP] included; longer sentences are cut.
    public let maxLength: Int

    public init(model: BertModel, tokenizer: WordPieceTokenizer, maxLength: Int = 256) {
        precondition(maxLength >= 2 && maxLength <= model.config.maxPositionEmbeddings,
                     "SentenceEncoder: max length \(maxLength) must be in 2...\(model.config.maxPositionEmbeddings)")
        self.model = model
        self.tokenizer = tokenizer
        self.maxLength = maxLength
        model.eval()
    }

    /// A Hugging Face sentence-transformers folder holding config.json, model.safetensors and vocab.txt
    /// (what `scripts/fetch-minilm` unpacks).
    public convenience init(directory: URL, maxLength: Int = 256) throws {
        let vocabulary = directory.appendingPathComponent("vocab.txt")
        for name in ["config.json", "model.safetensors", "vocab.txt"]
        where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            throw DataError("no \(name) here; scripts/fetch-minilm DIR unpacks all-MiniLM-L6-v2 into DIR", path: directory.path)
        }
        try self.init(model: BertModel.load(from: directory), tokenizer: WordPieceTokenizer(vocabularyFile: vocabulary),
                      maxLength: maxLength)
    }

    /// The ids each sentence is encoded from.
    public func ids(_ sentence: String) -> [Int] { tokenizer.encode(sentence, maxLength: maxLength) }

    /// One unit-length embedding per sentence (N, hidden), computed `batchSize` sentences at a time; sentences
    /// of similar length are batched together so little padding is computed.
    public func encode(_ sentences: [String], batchSize: Int = 32) -> Tensor {
        precondition(batchSize > 0, "SentenceEncoder.encode: batch size must be positive")
        let encoded = sentences.map(ids)
        let order = encoded.indices.sorted { encoded[$0].count > encoded[$1].count }
        var rows = [Tensor?](repeating: nil, count: sentences.count)
        noGrad {
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let batch = Array(order[start..<min(start + batchSize, order.count)])
                let length = batch.map { encoded[$0].count }.max() ?? 0
                var idValues: [Int] = [], maskValues: [Float] = []
                for i in batch {
                    let pad = length - encoded[i].count
                    idValues += encoded[i] + Array(repeating: tokenizer.paddingID, count: pad)
                    maskValues += Array(repeating: 1, count: encoded[i].count) + Array(repeating: 0, count: pad)
                }
                let ids = Tensor(idValues, shape: [batch.count, length]), mask = Tensor(maskValues, shape: [batch.count, length])
                let pooled = Self.meanPool(model(ids, attentionMask: mask), mask: mask)
                for (row, i) in batch.enumerated() { rows[i] = pooled.selected(0, row) }
            }
        }
        guard !sentences.isEmpty else { return Tensor.zeros([0, model.config.hiddenSize]) }
        return Tensor.stack(rows.map { $0! })
    }

    /// Mean of the hidden states over the tokens the mask keeps, then L2 normalisation (norm clamped at 1e-12,
    /// as torch.nn.functional.normalize).
    static func meanPool(_ hidden: Tensor, mask: Tensor) -> Tensor {
        let mean = maskedMean(hidden, mask: mask)
        return mean / mean.square().sum(dim: 1, keepDim: true).sqrt().clamped(min: 1e-12)
    }
}

/// The mean of hidden states (B, L, H) over the positions where `mask` (B, L) is 1, as sentence-transformers'
/// mean pooling (the count clamped at 1e-9).
func maskedMean(_ hidden: Tensor, mask: Tensor) -> Tensor {
    let m = mask.unsqueezed(2)
    return (hidden * m).sum(dim: 1) / m.sum(dim: 1).clamped(min: 1e-9)
}
