// Scaled dot-product attention: softmax(Q·Kᵀ·scale + mask)·V over (…, L, E) queries and (…, S, E)
// keys, as torch.nn.functional.scaled_dot_product_attention — the one attention core that
// MultiheadAttention, BERT and GPT call.
import CortexEngine

/// The additive causal mask of `rows` queries over `cols` keys: 0 where key j ≤ query i, −∞ above.
public func causalMask(rows: Int, cols: Int, device: Device = .default) -> Tensor {
    Tensor.where(Tensor.triangleMask(rows: rows, cols: cols, diagonal: 0, lower: true, device: device),
                 Tensor(0, device: device), Tensor(-Float.infinity, device: device))
}

/// The attention weights softmax(Q·Kᵀ·scale + mask) (…, L, S) of (…, L, E) queries over (…, S, E) keys. The
/// mask is a bool tensor (true = may attend) or a float tensor added to the scores, broadcasting to
/// (…, L, S); a constant mask goes into the fused masked softmax, a float mask that requires gradients is
/// added as an op of its own so they reach it.
public func attentionWeights(query: Tensor, key: Tensor, mask: Tensor? = nil, isCausal: Bool = false, scale: Float? = nil) -> Tensor {
    let op = "scaled_dot_product_attention"
    require(query.rank >= 2 && key.rank >= 2, "\(op): query and key need at least 2 dimensions, got \(query.shape), \(key.shape)")
    let l = query.size(-2), s = key.size(-2), e = query.size(-1)
    require(key.size(-1) == e, "\(op): query shape \(query.shape) and key shape \(key.shape) differ in embedding size")
    require(!(isCausal && mask != nil), "\(op): pass either a mask or isCausal, not both")
    let factor = scale ?? 1 / Float(e).squareRoot()
    // The scale rides on the GEMM (its alpha) rather than a pass of its own over the scores.
    let scores = query.rank >= 3 && key.rank >= 3 ? Tensor.batchedMatmul(query, key.transposed(-2, -1), alpha: factor)
                                                  : query.matmul(key.transposed(-2, -1)) * factor
    let additive: Tensor?
    if isCausal {
        additive = causalMask(rows: l, cols: s, device: query.device)
    } else if let mask, mask.dtype == .bool {
        additive = Tensor.where(mask, Tensor(0, device: mask.device), Tensor(-Float.infinity, device: mask.device))
    } else {
        additive = mask
    }
    guard let additive else { return scores.softmax(dim: -1) }
    if additive.requiresGrad { return (scores + additive).softmax(dim: -1) }
    return maskedSoftmax(scores, mask: additive)
}

/// Scaled dot-product attention: the weights of `attentionWeights` (with dropout when asked) applied to
/// `value` (…, S, Ev).
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
                                      isCausal: Bool = false, scale: Float? = nil,
                                      dropoutProbability: Float = 0, generator: RandomGenerator? = nil) -> Tensor {
    require(value.rank >= 2 && value.size(-2) == key.size(-2),
            "scaled_dot_product_attention: key shape \(key.shape) and value shape \(value.shape) differ in sequence length")
    var weights = attentionWeights(query: query, key: key, mask: mask, isCausal: isCausal, scale: scale)
    if dropoutProbability > 0 { weights = dropout(weights, probability: dropoutProbability, generator: generator) }
    return weights.matmul(value)
}

/// Zeroes each element with probability p and scales the rest by 1/(1 − p) (inverted dropout).
///
/// Under data parallelism (`BatchShard.current` set by the trainer), an input whose first axis is the replica's
/// examples gets its rows of the mask drawn for the whole global batch, so N replicas drop exactly what one
/// process would, and every replica's generator advances as that process's does.
public func dropout(_ input: Tensor, probability p: Float, training: Bool = true, generator: RandomGenerator? = nil) -> Tensor {
    require(p >= 0 && p <= 1, "dropout: probability \(p) is outside [0, 1]")
    if !training || p == 0 { return input }
    if p == 1 { return input * input.constant(0) }
    let keep = BatchShard.rowsOfGlobalDraw(input.shape) { Tensor.bernoulli($0, probability: 1 - p, generator: generator, device: input.device) }
    return input * (keep / (1 - p))
}
