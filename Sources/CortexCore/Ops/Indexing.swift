// Reading and writing by integer index: index_select, gather and their adjoints (index_add,
// scatter_add). Out-of-range indices stop with the op's name, the index and the valid range.
import CortexEngine

extension Tensor {
    /// Rows of `axis` picked by the 1-D integer tensor `index` (as torch.index_select). Any dtype; the
    /// gradient flows for float32.
    public func indexSelect(_ axis: Int, _ index: Tensor) -> Tensor {
        require(index.rank <= 1, "index_select: index must be 0-D or 1-D, got shape \(index.shape)")
        let a = normalizeAxis(axis, rank: rank, op: "index_select")
        let x = contiguousStorage(), idx = index.indexTensor(op: "index_select")
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        outShape[a] = index.count
        let out = makeOutput(outShape, dtype: dtype)
        backend.indexSelect(x.operand, outer: outer, n: n, inner: inner, index: idx.operand, into: out.operand, op: "index_select")
        let inputShape = shape
        return out.recordingGrad("index_select", attributes: ["dim": .int(a)], inputs: [self]) { g in
            [Tensor.zeros(inputShape, device: g.device).indexAdding(a, index, g)]
        }
    }

    /// A copy of self with `source`'s slices added at `index` along `axis` (as torch.index_add).
    /// Repeated indices accumulate. Not differentiable (used by backward passes).
    func indexAdding(_ axis: Int, _ index: Tensor, _ source: Tensor) -> Tensor {
        let out = copied()
        let src = source.contiguousStorage(), idx = index.indexTensor(op: "index_add")
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        backend.indexAdd(src.operand, outer: outer, n: n, inner: inner, index: idx.operand, into: out.operand, op: "index_add")
        return out
    }

    /// out[…, j, …] = self[…, index[…, j, …], …] along `axis` (as torch.gather). `index` has this
    /// tensor's rank; its other dimensions may be smaller than the input's.
    public func gather(_ axis: Int, _ index: Tensor) -> Tensor {
        requireFloat("gather")
        let a = normalizeAxis(axis, rank: rank, op: "gather")
        require(index.rank == rank, "gather: index rank \(index.rank) differs from input rank \(rank) (shapes \(index.shape), \(shape))")
        for d in 0..<rank where d != a {
            require(index.shape[d] <= shape[d], "gather: index shape \(index.shape) exceeds input shape \(shape) at dimension \(d)")
        }
        let x = contiguousStorage(), out = makeOutput(index.shape), idx = index.indexTensor(op: "gather")
        backend.gather(x.operand, axis: a, index: idx.operand, into: out.operand, op: "gather")
        let inputShape = shape
        return out.recordingGrad("gather", attributes: ["dim": .int(a)], inputs: [self]) { g in
            [Tensor.zeros(inputShape, device: g.device).scatterAdding(a, index, g)]
        }
    }

    /// A copy of self with source[p] added at index[p] along `axis` (as torch.scatter_add).
    public func scatterAdding(_ axis: Int, _ index: Tensor, _ source: Tensor) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "scatter_add")
        require(index.shape == source.shape, "scatter_add: index shape \(index.shape) differs from source shape \(source.shape)")
        let out = copied()
        let src = source.contiguousStorage(), idx = index.indexTensor(op: "scatter_add")
        backend.scatterAdd(src.operand, axis: a, index: idx.operand, into: out.operand, op: "scatter_add")
        let target = self
        return out.recordingGrad("scatter_add", attributes: ["dim": .int(a)], inputs: [target, source]) { g in
            [target.requiresGrad ? g : nil, source.requiresGrad ? g.gather(a, index) : nil]
        }
    }
}
