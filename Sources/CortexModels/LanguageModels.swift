// Character-level language models: an LSTM and a small GPT (decoder-only, causal, learned positions,
// optional weight tying, a key/value cache for generation), the step that trains them through Trainer,
// and sampling with temperature and top-k.
import CortexCore
import Foundation

/// A model of the next token: ids (B, T) in, logits (B, T, vocabulary) out, and generation one token at a time.
public protocol LanguageModel: Layer {
    var vocabularySize: Int { get }
    /// Continues `prompt` by up to `maxTokens` sampled ids, calling `onToken` with each as it is chosen
    /// (for streaming); returns the new ids.
    func generate(prompt: [Int], maxTokens: Int, sampler: TokenSampler, onToken: (Int) -> Void) -> [Int]
}

/// How the next token is drawn from logits: temperature scaling, then (optionally) only the top k.
public struct TokenSampler {
    public let temperature: Float
    public let topK: Int?
    public let generator: RandomGenerator

    /// `generator` defaults to one seeded with 0.
    public init(temperature: Float = 1, topK: Int? = nil, generator: RandomGenerator? = nil) {
        precondition(temperature >= 0, "TokenSampler: temperature must be non-negative")
        precondition(topK.map { $0 > 0 } ?? true, "TokenSampler: top-k must be positive")
        (self.temperature, self.topK) = (temperature, topK)
        self.generator = generator ?? RandomGenerator(seed: 0)
    }

    /// A token id from one row of logits; temperature 0 takes the most likely.
    public func sample(_ logits: Tensor) -> Int {
        let values = logits.scalars
        if temperature == 0 { return values.indices.max { values[$0] < values[$1] } ?? 0 }
        var candidates = Array(values.indices)
        if let topK, topK < values.count {
            candidates = Array(candidates.sorted { values[$0] > values[$1] }.prefix(topK))
        }
        let scaled = candidates.map { Double(values[$0] / temperature) }
        let top = scaled.max() ?? 0
        let weights = scaled.map { Foundation.exp($0 - top) }
        var draw = Double(generator.nextUniform()) * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            draw -= w
            if draw < 0 { return candidates[i] }
        }
        return candidates.last ?? 0
    }
}

/// Embedding → LSTM → Linear over characters.
public final class CharLSTM: Module, LanguageModel {
    public let embedding: Embedding
    public let lstm: LSTM
    public let head: Linear
    public var vocabularySize: Int { head.outFeatures }

    public init(vocabularySize: Int, embeddingSize: Int = 64, hiddenSize: Int = 256, numLayers: Int = 1, dropout: Float = 0,
                seed: UInt64 = 0) {
        let g = RandomGenerator(seed: seed)
        embedding = Embedding(vocabularySize, embeddingSize, generator: g)
        lstm = LSTM(embeddingSize, hiddenSize, numLayers: numLayers, batchFirst: true, dropout: dropout, generator: g)
        head = Linear(hiddenSize, vocabularySize, generator: g)
        super.init()
    }

    public func callAsFunction(_ ids: Tensor) -> Tensor { head(lstm(tokens: ids, embedding: embedding)) }

    public func generate(prompt: [Int], maxTokens: Int, sampler: TokenSampler, onToken: (Int) -> Void) -> [Int] {
        precondition(!prompt.isEmpty, "generate: the prompt needs at least one token")
        return noGrad {
            // The LSTM's state is its cache: the prompt runs once, then one token per step.
            var (output, state) = lstm(tokens: Tensor(prompt, shape: [1, prompt.count]), embedding: embedding, state: nil)
            var produced: [Int] = []
            for _ in 0..<maxTokens {
                let next = sampler.sample(head(output.selected(1, output.shape[1] - 1)).reshaped([-1]))
                produced.append(next)
                onToken(next)
                (output, state) = lstm(tokens: Tensor([next], shape: [1, 1]), embedding: embedding, state: state)
            }
            return produced
        }
    }
}

/// Causal self-attention for the GPT blocks, with a key/value cache for generation.
public final class GPTAttention: Module {
    public let qkv: Linear, proj: Linear
    let heads: Int
    /// The additive causal mask of the whole context (0 on and below the diagonal, −∞ above); a cache, so
    /// not saved.
    @Buffer var causalMask: Tensor

    init(dModel: Int, heads: Int, context: Int, generator: RandomGenerator) {
        qkv = Linear(dModel, 3 * dModel, generator: generator)
        proj = Linear(dModel, dModel, generator: generator)
        self.heads = heads
        _causalMask = Buffer(wrappedValue: Transformer.squareSubsequentMask(context), persistent: false)
        super.init()
    }

    /// Keys and values of the positions seen so far, (1, heads, T, head size) each.
    public struct Cache {
        var keys: Tensor?, values: Tensor?
        var length: Int { keys?.shape[2] ?? 0 }
    }

    func callAsFunction(_ x: Tensor, cache: inout Cache?) -> Tensor {
        let (b, t, d) = (x.shape[0], x.shape[1], x.shape[2]), hd = d / heads
        let projected = qkv(x)
        func split(_ part: Int) -> Tensor {
            projected.sliced(2, start: part * d, end: (part + 1) * d).reshaped([b, t, heads, hd]).permuted([0, 2, 1, 3])
        }
        var k = split(1), v = split(2)
        let past = cache?.length ?? 0
        if let previous = cache, let keys = previous.keys, let values = previous.values {
            k = Tensor.cat([keys, k], dim: 2)
            v = Tensor.cat([values, v], dim: 2)
        }
        if cache != nil { cache = Cache(keys: k, values: v) }
        // Query i (position past + i) sees keys 0 ... past + i: rows past ..< past + t of the causal mask.
        let mask = causalMask.sliced(0, start: past, end: past + t).sliced(1, start: 0, end: past + t)
        let context = scaledDotProductAttention(query: split(0), key: k, value: v, mask: mask)
            .permuted([0, 2, 1, 3]).reshaped([b, t, d])
        return proj(context)
    }
}

/// A pre-norm GPT block: x + attention(LN(x)), then x + MLP(LN(x)) with GELU.
public final class GPTBlock: Module {
    public let ln1: LayerNorm, attn: GPTAttention, ln2: LayerNorm, fc1: Linear, fc2: Linear

    init(dModel: Int, heads: Int, feedForward: Int, context: Int, generator: RandomGenerator) {
        ln1 = LayerNorm([dModel])
        attn = GPTAttention(dModel: dModel, heads: heads, context: context, generator: generator)
        ln2 = LayerNorm([dModel])
        fc1 = Linear(dModel, feedForward, generator: generator)
        fc2 = Linear(feedForward, dModel, generator: generator)
        super.init()
    }

    func callAsFunction(_ x: Tensor, cache: inout GPTAttention.Cache?) -> Tensor {
        let y = x + attn(ln1(x), cache: &cache)
        return y + fc2(gelu(fc1(ln2(y))))
    }
}

/// A decoder-only Transformer over tokens: token and learned position embeddings, pre-norm blocks with
/// causal attention, a final LayerNorm and a linear head (the token embedding's transpose when tied).
public final class GPT: Module, LanguageModel {
    public let tokenEmbedding: Embedding
    public let positionEmbedding: LearnedPositionalEmbedding
    public let blocks: [GPTBlock]
    public let norm: LayerNorm
    /// The output layer; nil when tied to the token embedding.
    public let head: Linear?
    public let contextLength: Int
    public var vocabularySize: Int { tokenEmbedding.weight.shape[0] }

    public init(vocabularySize: Int, contextLength: Int = 64, dModel: Int = 128, heads: Int = 4, layers: Int = 4,
                feedForward: Int = 512, tieWeights: Bool = false, seed: UInt64 = 0) {
        precondition(dModel % heads == 0, "GPT: dModel \(dModel) must be a multiple of the head count \(heads)")
        let g = RandomGenerator(seed: seed)
        let embedding = Embedding(vocabularySize, dModel, generator: g)
        // GPT-2's initialisation: N(0, 0.02) token vectors.
        noGrad { embedding.weight.assign(embedding.weight * 0.02) }
        tokenEmbedding = embedding
        positionEmbedding = LearnedPositionalEmbedding(maxLength: contextLength, dimension: dModel, generator: g)
        blocks = (0..<layers).map { _ in GPTBlock(dModel: dModel, heads: heads, feedForward: feedForward, context: contextLength, generator: g) }
        norm = LayerNorm([dModel])
        head = tieWeights ? nil : Linear(dModel, vocabularySize, bias: false, generator: g)
        self.contextLength = contextLength
        super.init()
    }

    public func callAsFunction(_ ids: Tensor) -> Tensor {
        var caches = [GPTAttention.Cache?](repeating: nil, count: blocks.count)
        return forward(ids, start: 0, caches: &caches)
    }

    func forward(_ ids: Tensor, start: Int, caches: inout [GPTAttention.Cache?]) -> Tensor {
        precondition(start + ids.shape[1] <= contextLength, "GPT: \(start + ids.shape[1]) positions exceed the context of \(contextLength)")
        var x = positionEmbedding(tokenEmbedding(ids), start: start)
        for (i, block) in blocks.enumerated() { x = block(x, cache: &caches[i]) }
        x = norm(x)
        return head.map { $0(x) } ?? linear(x, weight: tokenEmbedding.weight)
    }

    public func generate(prompt: [Int], maxTokens: Int, sampler: TokenSampler, onToken: (Int) -> Void) -> [Int] {
        precondition(!prompt.isEmpty, "generate: the prompt needs at least one token")
        return noGrad {
            var context = Array(prompt.suffix(contextLength))
            var caches = [GPTAttention.Cache?](repeating: GPTAttention.Cache(), count: blocks.count)
            var logits = forward(Tensor(context, shape: [1, context.count]), start: 0, caches: &caches)
            var produced: [Int] = []
            for _ in 0..<maxTokens {
                let next = sampler.sample(logits.selected(1, logits.shape[1] - 1).reshaped([-1]))
                produced.append(next)
                onToken(next)
                context.append(next)
                if context.count <= contextLength {
                    // The cache holds every earlier position: only the new token runs.
                    logits = forward(Tensor([next], shape: [1, 1]), start: context.count - 1, caches: &caches)
                } else {
                    // The context is full: slide the window and rebuild the cache from it.
                    context.removeFirst(context.count - contextLength)
                    caches = [GPTAttention.Cache?](repeating: GPTAttention.Cache(), count: blocks.count)
                    logits = forward(Tensor(context, shape: [1, context.count]), start: 0, caches: &caches)
                }
            }
            return produced
        }
    }
}

/// Next-token training for a language model: cross-entropy over every position of a batch of windows
/// ("input" and "target" ids, (B, T)), gradients clipped to a global norm, bits per character reported.
public final class LanguageModelStep: TrainingStep {
    public let model: any LanguageModel
    public let optimizer: Optimizer
    public let clipNorm: Float?

    public init(_ model: any LanguageModel, _ optimizer: Optimizer, clipNorm: Float? = 1) {
        (self.model, self.optimizer, self.clipNorm) = (model, optimizer, clipNorm)
    }

    public var optimizers: [String: Optimizer] { ["optimizer": optimizer] }
    public var metric: (name: String, lowerIsBetter: Bool)? { ("bits_per_char", true) }

    func loss(_ batch: Batch) -> Tensor {
        let logits = model(batch.input)
        return crossEntropy(logits.reshaped([-1, model.vocabularySize]), batch.target.reshaped([-1]))
    }

    public func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let value = loss(batch)
        let nats = try trainer.globalMeans([Double(value.item())], of: batch)[0]
        guard nats.isFinite else { return StepOutput(loss: nats) }
        optimizer.zeroGrad()
        try trainer.backward(value, averaging: optimizer.parameters, over: batch)
        // Clipped after averaging: every replica clips the global batch's gradient, as one process would.
        if let clipNorm { clipGradNorm(optimizer.parameters, maxNorm: clipNorm) }
        optimizer.step()
        return StepOutput(loss: nats, values: ["bits_per_char": nats / log(2)])
    }

    public func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let nats = Double(noGrad { loss(batch) }.item())
        return StepOutput(loss: nats, values: ["bits_per_char": nats / log(2)])
    }
}
