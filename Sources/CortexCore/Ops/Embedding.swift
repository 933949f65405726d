// Embedding lookup: rows of a weight table picked by integer ids, with the gradient scattered back
// (and never reaching the padding row).
import CortexEngine

/// Rows of `weight` (num_embeddings, dim) for each id in `indices` (any shape); the result has shape
/// indices.shape + [dim], as torch.nn.functional.embedding. The `paddingIndex` row gets no gradient.
public func embedding(_ indices: Tensor, weight: Tensor, paddingIndex: Int? = nil) -> Tensor {
    require(weight.rank == 2, "embedding: weight must be 2-D (num_embeddings, dim), got shape \(weight.shape)")
    require(indices.dtype.isInteger, "embedding: indices must be an integer tensor, got \(indices.dtype)")
    let flat = indices.reshaped([-1])
    let rows = noGrad { weight.detach().indexSelect(0, flat) }
    let outShape = indices.shape + [weight.shape[1]]
    return rows.reshaped(outShape).recordingGrad("embedding", attributes: paddingIndex.map { ["padding_idx": .int($0)] } ?? [:], inputs: [weight]) { g in
        let dw = Tensor.zeros(weight.shape, device: g.device).indexAdding(0, flat, g.reshaped([-1, weight.shape[1]]))
        if let paddingIndex {
            // The padding row's gradient is zeroed in place: a fill of that row's view on the device.
            let p = paddingIndex < 0 ? paddingIndex + weight.shape[0] : paddingIndex
            dw.selected(0, p).fill(0)
        }
        return [dw]
    }
}
