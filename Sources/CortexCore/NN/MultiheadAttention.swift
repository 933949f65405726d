// Multi-head attention as torch.nn.MultiheadAttention: PyTorch's parameter layout (`in_proj_weight` =
// [Wq; Wk; Wv], or separate `q_proj_weight`/`k_proj_weight`/`v_proj_weight` when key and value sizes
// differ, and an `out_proj` Linear), key padding masks, boolean or additive attention masks, causal
// attention and head-averaged attention weights.
import CortexEngine

public final class MultiheadAttention: Module {
    public let embedDim: Int, numHeads: Int, keyDim: Int, valueDim: Int
    public let batchFirst: Bool
    /// Dropout on the attention weights, in training mode.
    public let dropout: Float
    /// `in_proj_weight` = [Wq; Wk; Wv] (3E, E) when key and value have the embedding size; else
    /// `q_proj_weight` (E, E), `k_proj_weight` (E, kdim) and `v_proj_weight` (E, vdim).
    let projections: [Param]
    /// [bq; bk; bv] (3E), when the projections have biases.
    public let inProjBias: Tensor?
    public let outProj: Linear
    let dropoutGenerator: RandomGenerator

    /// Whether the three projections are one packed matrix (PyTorch's `_qkv_same_embed_dim`).
    public var packedProjection: Bool { projections.count == 1 }

    public init(embedDim: Int, numHeads: Int, dropout: Float = 0, bias: Bool = true, kdim: Int? = nil, vdim: Int? = nil,
                batchFirst: Bool = false, generator: RandomGenerator? = nil) {
        require(embedDim > 0 && numHeads > 0 && embedDim % numHeads == 0,
                "MultiheadAttention: embedding size \(embedDim) must be a positive multiple of the head count \(numHeads)")
        require(dropout >= 0 && dropout <= 1, "MultiheadAttention: dropout \(dropout) is outside [0, 1]")
        let kdim = kdim ?? embedDim, vdim = vdim ?? embedDim
        require(kdim > 0 && vdim > 0, "MultiheadAttention: key and value sizes must be positive, got \(kdim), \(vdim)")
        (self.embedDim, self.numHeads, self.keyDim, self.valueDim) = (embedDim, numHeads, kdim, vdim)
        (self.batchFirst, self.dropout) = (batchFirst, dropout)
        // PyTorch's initialisation: Xavier-uniform projections, zero projection biases, the output
        // projection's bias zero too.
        func xavier(_ shape: [Int]) -> Tensor {
            let t = Tensor.zeros(shape)
            Init.xavierUniform(t, generator: generator)
            return t.requiringGrad()
        }
        if kdim == embedDim && vdim == embedDim {
            projections = [Param(wrappedValue: xavier([3 * embedDim, embedDim]), key: "in_proj_weight")]
        } else {
            projections = [Param(wrappedValue: xavier([embedDim, embedDim]), key: "q_proj_weight"),
                           Param(wrappedValue: xavier([embedDim, kdim]), key: "k_proj_weight"),
                           Param(wrappedValue: xavier([embedDim, vdim]), key: "v_proj_weight")]
        }
        inProjBias = bias ? Tensor.zeros([3 * embedDim]).requiringGrad() : nil
        outProj = Linear(embedDim, embedDim, bias: bias, generator: generator)
        if let b = outProj.bias { noGrad { b.fill(0) } }
        dropoutGenerator = RandomGenerator(seed: generator?.next() ?? 0)
        super.init()
    }

    /// The query, key and value projection weights (views of the packed matrix when packed).
    private var projectionWeights: (Tensor, Tensor, Tensor) {
        if packedProjection {
            let packed = projections[0].wrappedValue, e = embedDim
            return (packed.sliced(0, start: 0, end: e), packed.sliced(0, start: e, end: 2 * e), packed.sliced(0, start: 2 * e, end: 3 * e))
        }
        return (projections[0].wrappedValue, projections[1].wrappedValue, projections[2].wrappedValue)
    }

    /// Self-attention: query, key and value are one tensor.
    public func callAsFunction(_ input: Tensor, keyPaddingMask: Tensor? = nil, attentionMask: Tensor? = nil,
                               isCausal: Bool = false) -> Tensor {
        callAsFunction(query: input, key: input, value: input, keyPaddingMask: keyPaddingMask, attentionMask: attentionMask,
                       isCausal: isCausal).output
    }

    /// Attention of `query` (B, L, E) — (L, B, E) unless batch-first, or unbatched (L, E) — over `key` (…, S, kdim)
    /// and `value` (…, S, vdim). `keyPaddingMask` (B, S): true (or non-zero) ignores that key. `attentionMask`
    /// (L, S) or (B·heads, L, S): bool (true = may not attend) or float (added to the scores). With
    /// `needWeights`, also the attention weights (B, L, S), averaged over heads unless `averageWeights` is false
    /// (then (B, heads, L, S)).
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor? = nil,
                               attentionMask: Tensor? = nil, needWeights: Bool = false, averageWeights: Bool = true,
                               isCausal: Bool = false) -> (output: Tensor, weights: Tensor?) {
        let op = "MultiheadAttention"
        require(query.rank == key.rank && key.rank == value.rank && (query.rank == 2 || query.rank == 3),
                "\(op): query, key and value must all be 3-D (or all unbatched 2-D), got \(query.shape), \(key.shape), \(value.shape)")
        let batched = query.rank == 3
        func batchMajor(_ t: Tensor) -> Tensor { batched ? (batchFirst ? t : t.transposed(0, 1)) : t.unsqueezed(0) }
        let q = batchMajor(query), k = batchMajor(key), v = batchMajor(value)
        let (b, l, s) = (q.shape[0], q.shape[1], k.shape[1])
        require(q.shape[2] == embedDim && k.shape[2] == keyDim && v.shape[2] == valueDim,
                "\(op): expected query/key/value sizes \(embedDim)/\(keyDim)/\(valueDim), got \(q.shape[2])/\(k.shape[2])/\(v.shape[2])")
        require(k.shape[0] == b && v.shape[0] == b && v.shape[1] == s, "\(op): key \(key.shape) and value \(value.shape) do not match query \(query.shape)")
        let heads = numHeads, headDim = embedDim / numHeads, e = embedDim

        // Projections: one GEMM for all three when it is self-attention with the packed matrix.
        let projected: (Tensor, Tensor, Tensor)
        if packedProjection && query === key && key === value {
            let qkv = linear(q, weight: projections[0].wrappedValue, bias: inProjBias)
            projected = (qkv.sliced(2, start: 0, end: e), qkv.sliced(2, start: e, end: 2 * e), qkv.sliced(2, start: 2 * e, end: 3 * e))
        } else {
            let (wq, wk, wv) = projectionWeights
            let bias = inProjBias.map { ($0.sliced(0, start: 0, end: e), $0.sliced(0, start: e, end: 2 * e), $0.sliced(0, start: 2 * e, end: 3 * e)) }
            projected = (linear(q, weight: wq, bias: bias?.0), linear(k, weight: wk, bias: bias?.1), linear(v, weight: wv, bias: bias?.2))
        }
        // (B, T, E) → (B, heads, T, headDim).
        func split(_ t: Tensor, _ length: Int) -> Tensor { t.reshaped([b, length, heads, headDim]).permuted([0, 2, 1, 3]) }
        let qh = split(projected.0, l), kh = split(projected.1, s), vh = split(projected.2, s)

        let mask = additiveMask(batch: b, queries: l, keys: s, keyPaddingMask: keyPaddingMask, attentionMask: attentionMask,
                                isCausal: isCausal, device: q.device)
        var weights = attentionWeights(query: qh, key: kh, mask: mask)
        if dropout > 0 && training { weights = CortexCore.dropout(weights, probability: dropout, generator: dropoutGenerator) }
        let context = weights.matmul(vh).permuted([0, 2, 1, 3]).reshaped([b, l, e])
        var output = outProj(context)
        output = batched ? (batchFirst ? output : output.transposed(0, 1)) : output.squeezed(0)
        guard needWeights else { return (output, nil) }
        var returned = averageWeights ? weights.mean(dim: 1) : weights
        if !batched { returned = returned.squeezed(0) }
        return (output, returned)
    }

    /// The masks as one additive tensor broadcasting to (B, heads, L, S): 0 where attention is allowed,
    /// −∞ where it is not, plus any float mask; nil when there is none.
    private func additiveMask(batch: Int, queries l: Int, keys s: Int, keyPaddingMask: Tensor?, attentionMask: Tensor?,
                              isCausal: Bool, device: Device) -> Tensor? {
        let op = "MultiheadAttention"
        var total: Tensor? = nil
        func add(_ t: Tensor) { total = total.map { $0 + t } ?? t }
        func blocked(_ mask: Tensor) -> Tensor {
            let m = mask.dtype == .bool ? mask : mask.ne(0)
            return Tensor.where(m, Tensor(-Float.infinity, device: device), Tensor(0, device: device))
        }
        if let attentionMask {
            let mask: Tensor
            if attentionMask.rank == 2 {
                require(attentionMask.shape == [l, s], "\(op): a 2-D attention mask must be (\(l), \(s)), got \(attentionMask.shape)")
                mask = attentionMask
            } else {
                require(attentionMask.shape == [batch * numHeads, l, s],
                        "\(op): a 3-D attention mask must be (\(batch * numHeads), \(l), \(s)), got \(attentionMask.shape)")
                mask = attentionMask.reshaped([batch, numHeads, l, s])
            }
            add(mask.dtype.isFloatingPoint ? mask.detach() : blocked(mask))
        }
        if isCausal && attentionMask == nil {
            add(causalMask(rows: l, cols: s, device: device))
        }
        if let keyPaddingMask {
            require(keyPaddingMask.shape == [batch, s] || (batch == 1 && keyPaddingMask.shape == [s]),
                    "\(op): key padding mask must be (\(batch), \(s)), got \(keyPaddingMask.shape)")
            let mask = keyPaddingMask.dtype.isFloatingPoint ? keyPaddingMask.detach() : blocked(keyPaddingMask)
            add(mask.reshaped([batch, 1, 1, s]))
        }
        return total
    }
}
