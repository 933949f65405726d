// Text classifiers over WordPiece ids (B, L), 0 marking padding: a pretrained BERT encoder fine-tuned with
// a linear head on its mean-pooled states, and a bidirectional LSTM trained from scratch.
import CortexCore
import CortexData
import Foundation

/// Token ids padded with 0 to `length` ([CLS] … [SEP], cut to fit) for every text, as an int64 (N, length) tensor.
public func paddedIDs(_ texts: [String], tokenizer: WordPieceTokenizer, length: Int) -> Tensor {
    var values: [Int] = []
    values.reserveCapacity(texts.count * length)
    for text in texts {
        let ids = tokenizer.encode(text, maxLength: length)
        values += ids + Array(repeating: tokenizer.paddingID, count: length - ids.count)
    }
    return Tensor(values, shape: [texts.count, length])
}

/// BERT, mean pooling over the real tokens, dropout and a linear layer: how a sentence encoder is fine-tuned
/// for classification.
public final class BertClassifier: Module, Layer {
    public let encoder: BertModel
    public let classifier: Linear
    public let dropout: Float
    let dropoutGenerator: RandomGenerator

    public init(encoder: BertModel, classes: Int, dropout: Float = 0.1, seed: UInt64 = 0) {
        let g = RandomGenerator(seed: seed)
        self.encoder = encoder
        classifier = Linear(encoder.config.hiddenSize, classes, generator: g)
        self.dropout = dropout
        dropoutGenerator = RandomGenerator(seed: g.next())
        super.init()
    }

    /// Logits (B, classes) for ids (B, L) padded with 0.
    public func callAsFunction(_ ids: Tensor) -> Tensor {
        let mask = ids.ne(0).to(.float32)
        var pooled = maskedMean(encoder(ids, attentionMask: mask), mask: mask)
        if training && dropout > 0 { pooled = CortexCore.dropout(pooled, probability: dropout, generator: dropoutGenerator) }
        return classifier(pooled)
    }
}

/// Embedding → bidirectional LSTM (sequences stop at their last real token) → mean over the real steps →
/// Linear.
public final class TextLSTMClassifier: Module, Layer {
    public let embedding: Embedding
    public let lstm: LSTM
    public let classifier: Linear

    public init(vocabularySize: Int, classes: Int, embeddingSize: Int = 64, hiddenSize: Int = 128, seed: UInt64 = 0) {
        let g = RandomGenerator(seed: seed)
        embedding = Embedding(vocabularySize, embeddingSize, paddingIndex: 0, generator: g)
        lstm = LSTM(embeddingSize, hiddenSize, batchFirst: true, bidirectional: true, generator: g)
        classifier = Linear(2 * hiddenSize, classes, generator: g)
        super.init()
    }

    public func callAsFunction(_ ids: Tensor) -> Tensor {
        let lengths = ids.ne(0).to(.float32).sum(dim: 1)
        let (outputs, _) = lstm(tokens: ids, embedding: embedding, state: nil, lengths: lengths.to(.int64))
        // Outputs past a sequence's length are zero, so the sum over time is the sum over its real steps.
        return classifier(outputs.sum(dim: 1) / lengths.clamped(min: 1).unsqueezed(1))
    }
}
