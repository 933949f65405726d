// Scaled dot-product attention: softmax(Q·Kᵀ·scale + mask)·V over (…, L, E) queries and (…, S, E)
// keys, as torch.nn.functional.scaled_dot_product_attention.
import CortexEngine

/// The attention mask: a bool tensor (true = may attend) or a float tensor added to the scores;
/// both broadcast to (…, L, S).
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
                                      isCausal: Bool = false, scale: Float? = nil,
                                      dropoutProbability: Float = 0, generator: RandomGenerator? = nil) -> Tensor {
    let op = "scaled_dot_product_attention"
    require(query.rank >= 2 && key.rank >= 2 && value.rank >= 2,
                 "\(op): query, key and value need at least 2 dimensions, got \(query.shape), \(key.shape), \(value.shape)")
    let l = query.size(-2), s = key.size(-2), e = query.size(-1)
    require(key.size(-1) == e, "\(op): query shape \(query.shape) and key shape \(key.shape) differ in embedding size")
    require(value.size(-2) == s, "\(op): key shape \(key.shape) and value shape \(value.shape) differ in sequence length")
    require(!(isCausal && mask != nil), "\(op): pass either a mask or isCausal, not both")
    var scores = query.matmul(key.transposed(-2, -1)) * (scale ?? 1 / Float(e).squareRoot())
    if isCausal {
        scores = scores.maskedFill(!Tensor.triangleMask(rows: l, cols: s, diagonal: 0, lower: true, device: query.device), -.infinity)
    } else if let mask {
        scores = mask.dtype == .bool ? scores.maskedFill(!mask, -.infinity) : scores + mask
    }
    var weights = scores.softmax(dim: -1)
    if dropoutProbability > 0 { weights = dropout(weights, probability: dropoutProbability, generator: generator) }
    return weights.matmul(value)
}

/// Zeroes each element with probability p and scales the rest by 1/(1 − p) (inverted dropout).
public func dropout(_ input: Tensor, probability p: Float, training: Bool = true, generator: RandomGenerator? = nil) -> Tensor {
    require(p >= 0 && p <= 1, "dropout: probability \(p) is outside [0, 1]")
    if !training || p == 0 { return input }
    if p == 1 { return input * input.constant(0) }
    let keep = Tensor.bernoulli(input.shape, probability: 1 - p, generator: generator, device: input.device)
    return input * (keep / (1 - p))
}
