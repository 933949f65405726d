// A BERT encoder in Hugging Face's layout (`embeddings.word_embeddings.weight`,
// `encoder.layer.0.attention.self.query.weight`, `…output.LayerNorm.bias`), so checkpoints such as
// all-MiniLM-L6-v2 load by name from their model.safetensors.
import CortexCore
import CortexData
import Foundation

/// The hyper-parameters of a BERT model, read from Hugging Face's config.json.
public struct BertConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int
    public var maxPositionEmbeddings: Int, typeVocabSize: Int, layerNormEps: Float, hiddenAct: String

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps", hiddenAct = "hidden_act"
    }

    public init(vocabSize: Int = 30522, hiddenSize: Int = 384, numHiddenLayers: Int = 6, numAttentionHeads: Int = 12,
                intermediateSize: Int = 1536, maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2, layerNormEps: Float = 1e-12,
                hiddenAct: String = "gelu") {
        (self.vocabSize, self.hiddenSize, self.numHiddenLayers, self.numAttentionHeads) = (vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads)
        (self.intermediateSize, self.maxPositionEmbeddings, self.typeVocabSize) = (intermediateSize, maxPositionEmbeddings, typeVocabSize)
        (self.layerNormEps, self.hiddenAct) = (layerNormEps, hiddenAct)
    }

    /// Reads and checks config.json.
    public static func read(from url: URL) throws -> BertConfig {
        let config: BertConfig
        do { config = try JSONDecoder().decode(BertConfig.self, from: Data(contentsOf: url)) } catch {
            throw DataError("not a BERT config: \(error.localizedDescription)", path: url.path)
        }
        guard config.hiddenSize > 0, config.numAttentionHeads > 0, config.hiddenSize % config.numAttentionHeads == 0,
              config.numHiddenLayers > 0, config.vocabSize > 0, config.intermediateSize > 0, config.maxPositionEmbeddings > 0,
              config.typeVocabSize > 0, config.layerNormEps > 0 else {
            throw DataError("BERT config has sizes that do not fit together: \(config)", path: url.path)
        }
        guard config.hiddenAct == "gelu" || config.hiddenAct == "relu" || config.hiddenAct == "gelu_new" else {
            throw DataError("BERT config: activation '\(config.hiddenAct)' is not supported (gelu, gelu_new, relu)", path: url.path)
        }
        return config
    }
}

/// Word, position and token-type embeddings, summed and normalised.
public final class BertEmbeddings: Module {
    public let wordEmbeddings: Embedding, positionEmbeddings: Embedding, tokenTypeEmbeddings: Embedding
    @Child public var layerNorm: LayerNorm

    init(_ c: BertConfig) {
        _layerNorm = Child(wrappedValue: LayerNorm([c.hiddenSize], eps: c.layerNormEps), key: "LayerNorm")
        wordEmbeddings = Embedding(c.vocabSize, c.hiddenSize)
        positionEmbeddings = Embedding(c.maxPositionEmbeddings, c.hiddenSize)
        tokenTypeEmbeddings = Embedding(c.typeVocabSize, c.hiddenSize)
        super.init()
    }

    func callAsFunction(_ ids: Tensor, tokenTypes: Tensor) -> Tensor {
        let positions = Tensor.arange(ids.shape[1], device: ids.device).unsqueezed(0)
        return layerNorm(wordEmbeddings(ids) + positionEmbeddings(positions) + tokenTypeEmbeddings(tokenTypes))
    }
}

/// Queries, keys and values (`attention.self`).
public final class BertSelfAttention: Module {
    public let query: Linear, key: Linear, value: Linear
    let heads: Int

    init(_ c: BertConfig) {
        query = Linear(c.hiddenSize, c.hiddenSize)
        key = Linear(c.hiddenSize, c.hiddenSize)
        value = Linear(c.hiddenSize, c.hiddenSize)
        heads = c.numAttentionHeads
        super.init()
    }

    /// `mask` is additive, broadcasting to (B, heads, L, L).
    func callAsFunction(_ x: Tensor, mask: Tensor) -> Tensor {
        let (b, l, e) = (x.shape[0], x.shape[1], x.shape[2])
        return scaledDotProductAttention(query: split(query(x)), key: split(key(x)), value: split(value(x)), mask: mask)
            .permuted([0, 2, 1, 3]).reshaped([b, l, e])
    }

    /// The attention weights softmax(QKᵀ/√d + mask), (B, heads, L, L).
    func weights(_ x: Tensor, mask: Tensor) -> Tensor { attentionWeights(query: split(query(x)), key: split(key(x)), mask: mask) }

    /// (B, L, E) → (B, heads, L, E / heads).
    private func split(_ t: Tensor) -> Tensor {
        let (b, l, e) = (t.shape[0], t.shape[1], t.shape[2])
        return t.reshaped([b, l, heads, e / heads]).permuted([0, 2, 1, 3])
    }
}

/// A dense layer, a residual connection and a LayerNorm (`attention.output` and `output`).
public final class BertResidualOutput: Module {
    public let dense: Linear
    @Child public var layerNorm: LayerNorm

    init(_ c: BertConfig, from inputSize: Int) {
        dense = Linear(inputSize, c.hiddenSize)
        _layerNorm = Child(wrappedValue: LayerNorm([c.hiddenSize], eps: c.layerNormEps), key: "LayerNorm")
        super.init()
    }

    func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor { layerNorm(dense(x) + residual) }
}

public final class BertAttention: Module {
    @Child public var selfAttention: BertSelfAttention
    public let output: BertResidualOutput

    init(_ c: BertConfig) {
        _selfAttention = Child(wrappedValue: BertSelfAttention(c), key: "self")
        output = BertResidualOutput(c, from: c.hiddenSize)
        super.init()
    }
}

/// The feed-forward block's first dense layer and activation (`intermediate`).
public final class BertIntermediate: Module {
    public let dense: Linear
    let activation: String

    init(_ c: BertConfig) {
        dense = Linear(c.hiddenSize, c.intermediateSize)
        activation = c.hiddenAct
        super.init()
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        switch activation {
        case "relu": relu(dense(x))
        case "gelu_new": gelu(dense(x), approximate: .tanh)
        default: gelu(dense(x))
        }
    }
}

/// One encoder layer: self-attention and feed-forward, each post-norm with a residual.
public final class BertLayer: Module {
    public let attention: BertAttention
    public let intermediate: BertIntermediate
    public let output: BertResidualOutput

    init(_ c: BertConfig) {
        attention = BertAttention(c)
        intermediate = BertIntermediate(c)
        output = BertResidualOutput(c, from: c.intermediateSize)
        super.init()
    }

    func callAsFunction(_ x: Tensor, mask: Tensor) -> Tensor {
        let attended = attention.output(attention.selfAttention(x, mask: mask), residual: x)
        return output(intermediate(attended), residual: attended)
    }
}

public final class BertEncoder: Module {
    public let layer: [BertLayer]

    init(_ c: BertConfig) {
        layer = (0..<c.numHiddenLayers).map { _ in BertLayer(c) }
        super.init()
    }
}

/// The BERT encoder: token ids (B, L) in, the last hidden states (B, L, hidden) out. Weights load from a
/// Hugging Face checkpoint by name (`BertModel.load(from:)`); its pooler is not used and not loaded.
public final class BertModel: Module {
    public let config: BertConfig
    public let embeddings: BertEmbeddings
    public let encoder: BertEncoder

    public init(_ config: BertConfig) {
        self.config = config
        embeddings = BertEmbeddings(config)
        encoder = BertEncoder(config)
        super.init()
    }

    /// `ids` (B, L) int64; `attentionMask` (B, L), 1 for tokens and 0 for padding (all ones when nil);
    /// `tokenTypes` (B, L) (all zeros when nil).
    public func callAsFunction(_ ids: Tensor, attentionMask: Tensor? = nil, tokenTypes: Tensor? = nil) -> Tensor {
        precondition(ids.rank == 2 && ids.dtype.isInteger, "BertModel: ids must be (batch, length) integers, got \(ids.dtype) \(ids.shape)")
        precondition(ids.shape[1] <= config.maxPositionEmbeddings,
                "BertModel: \(ids.shape[1]) tokens exceed the model's \(config.maxPositionEmbeddings) positions")
        let types = tokenTypes ?? Tensor.zeros(ids.shape, dtype: .int64, device: ids.device)
        var x = embeddings(ids, tokenTypes: types)
        let mask = additiveMask(ids, attentionMask)
        for layer in encoder.layer { x = layer(x, mask: mask) }
        return x
    }

    /// Padding keys get a large negative score (as Hugging Face's extended attention mask: the dtype's minimum).
    private func additiveMask(_ ids: Tensor, _ attentionMask: Tensor?) -> Tensor {
        let keep = (attentionMask ?? Tensor.ones(ids.shape, device: ids.device)).to(.float32)
        return ((1 - keep) * -Float.greatestFiniteMagnitude).reshaped([ids.shape[0], 1, 1, ids.shape[1]])
    }

    /// Each layer's attention weights, (B, heads, L, L) per layer: row i of head h says how much token i drew from each
    /// token in that layer (padding keys get zero). Without gradients; in evaluation mode the pass equals the forward one.
    public func attentionMaps(_ ids: Tensor, attentionMask: Tensor? = nil, tokenTypes: Tensor? = nil) -> [Tensor] {
        precondition(ids.rank == 2 && ids.dtype.isInteger, "BertModel.attentionMaps: ids must be (batch, length) integers, got \(ids.dtype) \(ids.shape)")
        return noGrad {
            var x = embeddings(ids, tokenTypes: tokenTypes ?? Tensor.zeros(ids.shape, dtype: .int64, device: ids.device))
            let mask = additiveMask(ids, attentionMask)
            return encoder.layer.map { layer in
                let weights = layer.attention.selfAttention.weights(x, mask: mask)
                x = layer(x, mask: mask)
                return weights
            }
        }
    }

    /// A model with the configuration and weights of a Hugging Face BERT folder (config.json and
    /// model.safetensors); keys may carry a `bert.` prefix. The pooler and `position_ids` are left out.
    public static func load(from directory: URL) throws -> BertModel {
        let config = try BertConfig.read(from: directory.appendingPathComponent("config.json"))
        let model = BertModel(config)
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in try loadSafetensors(weightsURL) {
            let key = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
            if key.hasPrefix("pooler.") || key == "embeddings.position_ids" { continue }
            tensors[key] = tensor.to(.float32)
        }
        do { try model.loadStateDict(tensors) } catch {
            throw DataError("the weights do not fit a BERT of this config: \(error)", path: weightsURL.path)
        }
        return model
    }
}
