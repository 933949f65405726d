// Transformer blocks as torch.nn has them: encoder and decoder layers (post-norm or pre-norm, ReLU or
// GELU), stacks of them with an optional final norm, and the whole encoder-decoder `Transformer`, with
// PyTorch's state-dict names (`self_attn.in_proj_weight`, `linear1.weight`, `norm2.bias`,
// `encoder.layers.0…`, `decoder.norm.weight`).
import CortexEngine

/// The feed-forward block's nonlinearity.
public enum TransformerActivation: String, Sendable {
    case relu, gelu

    func callAsFunction(_ x: Tensor) -> Tensor { self == .relu ? CortexCore.relu(x) : CortexCore.gelu(x) }
}

/// What the encoder and decoder layers share: the feed-forward block and the dropout on each branch.
protocol TransformerSublayers: Module {
    var linear1: Linear { get }
    var linear2: Linear { get }
    var activation: TransformerActivation { get }
    var dropout: Float { get }
    var dropoutGenerator: RandomGenerator { get }
}

extension TransformerSublayers {
    /// Dropout on a branch, in training mode.
    func drop(_ x: Tensor) -> Tensor {
        dropout > 0 && training ? CortexCore.dropout(x, probability: dropout, generator: dropoutGenerator) : x
    }

    /// linear2(dropout(activation(linear1(x)))), with dropout on the result too.
    func feedForward(_ x: Tensor) -> Tensor { drop(linear2(drop(activation(linear1(x))))) }
}

/// Self-attention and a feed-forward block, each with a residual connection and a LayerNorm — after the
/// residual (`normFirst` false, the original Transformer) or before the block (true, pre-norm).
public final class TransformerEncoderLayer: Module, TransformerSublayers {
    public let selfAttn: MultiheadAttention
    public let linear1: Linear, linear2: Linear
    public let norm1: LayerNorm, norm2: LayerNorm
    public let activation: TransformerActivation
    public let normFirst: Bool
    public let dropout: Float
    let dropoutGenerator: RandomGenerator

    public init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Float = 0.1, activation: TransformerActivation = .relu,
                layerNormEps: Float = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true,
                generator: RandomGenerator? = nil) {
        selfAttn = MultiheadAttention(embedDim: dModel, numHeads: nhead, dropout: dropout, bias: bias, batchFirst: batchFirst,
                                      generator: generator)
        linear1 = Linear(dModel, dimFeedforward, bias: bias, generator: generator)
        linear2 = Linear(dimFeedforward, dModel, bias: bias, generator: generator)
        norm1 = LayerNorm([dModel], eps: layerNormEps)
        norm2 = LayerNorm([dModel], eps: layerNormEps)
        (self.activation, self.normFirst, self.dropout) = (activation, normFirst, dropout)
        dropoutGenerator = RandomGenerator(seed: generator?.next() ?? 0)
        super.init()
    }

    /// `source` (B, S, E) when batch-first, else (S, B, E). `mask` (S, S): bool (true = may not attend) or
    /// additive float; `keyPaddingMask` (B, S): true = padding; `isCausal` adds the causal mask.
    public func callAsFunction(_ source: Tensor, mask: Tensor? = nil, keyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        func attend(_ x: Tensor) -> Tensor {
            drop(selfAttn(query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, attentionMask: mask,
                          isCausal: isCausal && mask == nil).output)
        }
        var x = source
        if normFirst {
            x = x + attend(norm1(x))
            x = x + feedForward(norm2(x))
        } else {
            x = norm1(x + attend(x))
            x = norm2(x + feedForward(x))
        }
        return x
    }
}

/// Masked self-attention, attention over the encoder's output (`memory`) and a feed-forward block, each with
/// a residual connection and a LayerNorm (after, or before with `normFirst`).
public final class TransformerDecoderLayer: Module, TransformerSublayers {
    public let selfAttn: MultiheadAttention, multiheadAttn: MultiheadAttention
    public let linear1: Linear, linear2: Linear
    public let norm1: LayerNorm, norm2: LayerNorm, norm3: LayerNorm
    public let activation: TransformerActivation
    public let normFirst: Bool
    public let dropout: Float
    let dropoutGenerator: RandomGenerator

    public init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Float = 0.1, activation: TransformerActivation = .relu,
                layerNormEps: Float = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true,
                generator: RandomGenerator? = nil) {
        selfAttn = MultiheadAttention(embedDim: dModel, numHeads: nhead, dropout: dropout, bias: bias, batchFirst: batchFirst,
                                      generator: generator)
        multiheadAttn = MultiheadAttention(embedDim: dModel, numHeads: nhead, dropout: dropout, bias: bias, batchFirst: batchFirst,
                                           generator: generator)
        linear1 = Linear(dModel, dimFeedforward, bias: bias, generator: generator)
        linear2 = Linear(dimFeedforward, dModel, bias: bias, generator: generator)
        norm1 = LayerNorm([dModel], eps: layerNormEps)
        norm2 = LayerNorm([dModel], eps: layerNormEps)
        norm3 = LayerNorm([dModel], eps: layerNormEps)
        (self.activation, self.normFirst, self.dropout) = (activation, normFirst, dropout)
        dropoutGenerator = RandomGenerator(seed: generator?.next() ?? 0)
        super.init()
    }

    /// `target` (B, T, E) and `memory` (B, S, E) when batch-first; masks as `TransformerEncoderLayer`'s, for
    /// the target's self-attention (`targetMask`, `targetKeyPaddingMask`, `targetIsCausal`) and for the
    /// attention over memory (`memoryMask`, `memoryKeyPaddingMask`).
    public func callAsFunction(_ target: Tensor, memory: Tensor, targetMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               targetKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               targetIsCausal: Bool = false) -> Tensor {
        func attendSelf(_ x: Tensor) -> Tensor {
            drop(selfAttn(query: x, key: x, value: x, keyPaddingMask: targetKeyPaddingMask, attentionMask: targetMask,
                          isCausal: targetIsCausal && targetMask == nil).output)
        }
        func attendMemory(_ x: Tensor) -> Tensor {
            drop(multiheadAttn(query: x, key: memory, value: memory, keyPaddingMask: memoryKeyPaddingMask,
                               attentionMask: memoryMask).output)
        }
        var x = target
        if normFirst {
            x = x + attendSelf(norm1(x))
            x = x + attendMemory(norm2(x))
            x = x + feedForward(norm3(x))
        } else {
            x = norm1(x + attendSelf(x))
            x = norm2(x + attendMemory(x))
            x = norm3(x + feedForward(x))
        }
        return x
    }
}

/// A stack of encoder layers with an optional final LayerNorm (`layers.0…`, `norm`).
public final class TransformerEncoder: Module {
    public let layers: [TransformerEncoderLayer]
    public let norm: LayerNorm?

    /// `makeLayer` is called once per layer, so every layer has its own parameters.
    public init(numLayers: Int, norm: LayerNorm? = nil, makeLayer: (Int) -> TransformerEncoderLayer) {
        require(numLayers > 0, "TransformerEncoder: needs at least one layer, got \(numLayers)")
        layers = (0..<numLayers).map(makeLayer)
        self.norm = norm
        super.init()
    }

    public func callAsFunction(_ source: Tensor, mask: Tensor? = nil, keyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        var x = source
        for layer in layers { x = layer(x, mask: mask, keyPaddingMask: keyPaddingMask, isCausal: isCausal) }
        return norm.map { $0(x) } ?? x
    }

    /// Each layer's self-attention weights for `source`, per head: (B, heads, S, S) per layer ((heads, S, S) for an
    /// unbatched source), row i saying how much position i drew from each position. Computed without gradients, in
    /// the current mode (call `eval()` first so dropout does not change the pass): the attention maps a report shows.
    public func attentionMaps(_ source: Tensor, mask: Tensor? = nil, keyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> [Tensor] {
        noGrad {
            var x = source
            return layers.map { layer in
                let attended = layer.normFirst ? layer.norm1(x) : x
                let weights = layer.selfAttn(query: attended, key: attended, value: attended, keyPaddingMask: keyPaddingMask,
                                             attentionMask: mask, needWeights: true, averageWeights: false,
                                             isCausal: isCausal && mask == nil).weights!
                x = layer(x, mask: mask, keyPaddingMask: keyPaddingMask, isCausal: isCausal)
                return weights
            }
        }
    }
}

/// A stack of decoder layers with an optional final LayerNorm.
public final class TransformerDecoder: Module {
    public let layers: [TransformerDecoderLayer]
    public let norm: LayerNorm?

    public init(numLayers: Int, norm: LayerNorm? = nil, makeLayer: (Int) -> TransformerDecoderLayer) {
        require(numLayers > 0, "TransformerDecoder: needs at least one layer, got \(numLayers)")
        layers = (0..<numLayers).map(makeLayer)
        self.norm = norm
        super.init()
    }

    public func callAsFunction(_ target: Tensor, memory: Tensor, targetMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               targetKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               targetIsCausal: Bool = false) -> Tensor {
        var x = target
        for layer in layers {
            x = layer(x, memory: memory, targetMask: targetMask, memoryMask: memoryMask, targetKeyPaddingMask: targetKeyPaddingMask,
                      memoryKeyPaddingMask: memoryKeyPaddingMask, targetIsCausal: targetIsCausal)
        }
        return norm.map { $0(x) } ?? x
    }
}

/// The encoder-decoder Transformer, as torch.nn.Transformer: both stacks end in a LayerNorm.
public final class Transformer: Module {
    public let encoder: TransformerEncoder
    public let decoder: TransformerDecoder

    public init(dModel: Int = 512, nhead: Int = 8, numEncoderLayers: Int = 6, numDecoderLayers: Int = 6, dimFeedforward: Int = 2048,
                dropout: Float = 0.1, activation: TransformerActivation = .relu, layerNormEps: Float = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, generator: RandomGenerator? = nil) {
        encoder = TransformerEncoder(numLayers: numEncoderLayers, norm: LayerNorm([dModel], eps: layerNormEps)) { _ in
            TransformerEncoderLayer(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout,
                                    activation: activation, layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst,
                                    bias: bias, generator: generator)
        }
        decoder = TransformerDecoder(numLayers: numDecoderLayers, norm: LayerNorm([dModel], eps: layerNormEps)) { _ in
            TransformerDecoderLayer(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout,
                                    activation: activation, layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst,
                                    bias: bias, generator: generator)
        }
        super.init()
    }

    public func callAsFunction(_ source: Tensor, _ target: Tensor, sourceMask: Tensor? = nil, targetMask: Tensor? = nil,
                               memoryMask: Tensor? = nil, sourceKeyPaddingMask: Tensor? = nil, targetKeyPaddingMask: Tensor? = nil,
                               memoryKeyPaddingMask: Tensor? = nil, targetIsCausal: Bool = false) -> Tensor {
        let memory = encoder(source, mask: sourceMask, keyPaddingMask: sourceKeyPaddingMask)
        return decoder(target, memory: memory, targetMask: targetMask, memoryMask: memoryMask, targetKeyPaddingMask: targetKeyPaddingMask,
                       memoryKeyPaddingMask: memoryKeyPaddingMask, targetIsCausal: targetIsCausal)
    }

    /// The causal mask PyTorch's `generate_square_subsequent_mask` makes: 0 on and below the diagonal, −∞ above.
    public static func squareSubsequentMask(_ size: Int, device: Device = .default) -> Tensor {
        causalMask(rows: size, cols: size, device: device)
    }
}
