// Reading and writing by integer index: index_select, gather and their adjoints (index_add,
// scatter_add). Out-of-range indices stop with the op's name, the index and the valid range.
import CortexEngine

extension Tensor {
    /// Rows of `axis` picked by the 1-D integer tensor `index` (as torch.index_select).
    public func indexSelect(_ axis: Int, _ index: Tensor) -> Tensor {
        requireFloat("index_select")
        require(index.rank <= 1, "index_select: index must be 0-D or 1-D, got shape \(index.shape)")
        let a = normalizeAxis(axis, rank: rank, op: "index_select")
        let x = contiguousStorage()
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        outShape[a] = index.count
        let out = Tensor(uninitialized: outShape)
        index.withIndices(op: "index_select") { idx in
            let k = idx.count
            withFloats(x, out) { src, dst in
                for (j, i) in idx.enumerated() {
                    require(i >= 0 && Int(i) < n, "index_select: index \(i) is out of range for dimension \(a) of size \(n)")
                    for o in 0..<outer {
                        (dst + (o * k + j) * inner).update(from: src + (o * n + Int(i)) * inner, count: inner)
                    }
                }
            }
        }
        let inputShape = shape
        return out.recordingGrad("index_select", inputs: [self]) { g in
            [Tensor.zeros(inputShape).indexAdding(a, index, g)]
        }
    }

    /// A copy of self with `source`'s slices added at `index` along `axis` (as torch.index_add).
    /// Repeated indices accumulate. Not differentiable (used by backward passes).
    func indexAdding(_ axis: Int, _ index: Tensor, _ source: Tensor) -> Tensor {
        let out = Tensor(uninitialized: shape)
        copyValues(into: out)
        let src = source.contiguousStorage()
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        index.withIndices(op: "index_add") { idx in
            let k = idx.count
            withFloats(src, out) { s, d in
                for (j, i) in idx.enumerated() {
                    require(i >= 0 && Int(i) < n, "index_add: index \(i) is out of range for dimension \(axis) of size \(n)")
                    for o in 0..<outer {
                        let to = d + (o * n + Int(i)) * inner, from = s + (o * k + j) * inner
                        for e in 0..<inner { to[e] += from[e] }
                    }
                }
            }
        }
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
        let x = contiguousStorage(), out = Tensor(uninitialized: index.shape)
        let inputStrides = x.strides, n = shape[a]
        index.withIndices(op: "gather") { idx in
            withFloats(x, out) { src, dst in
                Tensor.forEachIndexed(index.shape, axis: a, inputStrides: inputStrides) { position, base, along in
                    let i = Int(idx[position])
                    require(i >= 0 && i < n, "gather: index \(i) is out of range for dimension \(a) of size \(n)")
                    dst[position] = src[base + i * along]
                }
            }
        }
        let inputShape = shape
        return out.recordingGrad("gather", inputs: [self]) { g in
            [Tensor.zeros(inputShape).scatterAdding(a, index, g)]
        }
    }

    /// A copy of self with source[p] added at index[p] along `axis` (as torch.scatter_add).
    public func scatterAdding(_ axis: Int, _ index: Tensor, _ source: Tensor) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "scatter_add")
        require(index.shape == source.shape, "scatter_add: index shape \(index.shape) differs from source shape \(source.shape)")
        let out = Tensor(uninitialized: shape)
        copyValues(into: out)
        let src = source.contiguousStorage(), outStrides = out.strides, n = shape[a]
        index.withIndices(op: "scatter_add") { idx in
            withFloats(src, out) { s, d in
                Tensor.forEachIndexed(index.shape, axis: a, inputStrides: outStrides) { position, base, along in
                    let i = Int(idx[position])
                    require(i >= 0 && i < n, "scatter_add: index \(i) is out of range for dimension \(a) of size \(n)")
                    d[base + i * along] += s[position]
                }
            }
        }
        let target = self
        return out.recordingGrad("scatter_add", inputs: [target, source]) { g in
            [target.requiresGrad ? g : nil, source.requiresGrad ? g.gather(a, index) : nil]
        }
    }

    /// Visits every position of a contiguous `shape`, giving its flat index, the offset in a tensor
    /// with `inputStrides` of the same coordinates except along `axis` (set to 0), and that axis's stride.
    static func forEachIndexed(_ shape: [Int], axis: Int, inputStrides: [Int], _ body: (Int, Int, Int) -> Void) {
        let total = shape.reduce(1, *)
        guard total > 0 else { return }
        var coordinate = Array(repeating: 0, count: shape.count)
        var base = 0
        for position in 0..<total {
            body(position, base, inputStrides[axis])
            var d = shape.count - 1
            while d >= 0 {
                coordinate[d] += 1
                if d != axis { base += inputStrides[d] }
                if coordinate[d] < shape[d] { break }
                if d != axis { base -= inputStrides[d] * shape[d] }
                coordinate[d] = 0
                d -= 1
            }
        }
    }
}
