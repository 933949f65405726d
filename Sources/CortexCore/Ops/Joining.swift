// Joining and splitting along an axis: cat, stack, split, chunk — and constant/reflect/replicate pad.
import CortexEngine

extension Tensor {
    /// Tensors joined along `dim`; all other dimensions must match (as torch.cat).
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        require(!tensors.isEmpty, "cat: needs at least one tensor")
        let first = tensors[0]
        let a = normalizeAxis(dim, rank: first.rank, op: "cat")
        for t in tensors {
            require(t.rank == first.rank && t.dtype == first.dtype &&
                         t.shape.indices.allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "cat: shapes \(tensors.map(\.shape)) differ outside dimension \(a) (or dtypes differ)")
        }
        var outShape = first.shape
        outShape[a] = tensors.map { $0.shape[a] }.reduce(0, +)
        let out = first.makeOutput(outShape, dtype: first.dtype)
        var start = 0
        for t in tensors {
            t.copyValues(into: out.sliced(a, start: start, end: start + t.shape[a]).detach())
            start += t.shape[a]
        }
        return out.recordingGrad("cat", attributes: ["dim": .int(a)], inputs: tensors) { g in
            var offset = 0
            return tensors.map { t in
                defer { offset += t.shape[a] }
                return t.requiresGrad ? g.sliced(a, start: offset, end: offset + t.shape[a]) : nil
            }
        }
    }

    /// Tensors of equal shape stacked along a new axis `dim` (as torch.stack).
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        require(!tensors.isEmpty, "stack: needs at least one tensor")
        require(tensors.allSatisfy { $0.shape == tensors[0].shape }, "stack: shapes differ: \(tensors.map(\.shape))")
        return cat(tensors.map { $0.unsqueezed(dim) }, dim: dim)
    }

    /// Pieces of `size` along `dim` (the last may be smaller), as torch.split. Views.
    public func split(_ size: Int, dim: Int = 0) -> [Tensor] {
        require(size > 0, "split: size must be positive, got \(size)")
        let a = normalizeAxis(dim, rank: rank, op: "split")
        return stride(from: 0, to: shape[a], by: size).map { sliced(a, start: $0, end: Swift.min($0 + size, shape[a])) }
    }

    /// Pieces of the given sizes along `dim`, which must add up to that axis's size.
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        let a = normalizeAxis(dim, rank: rank, op: "split")
        require(sizes.reduce(0, +) == shape[a] && sizes.allSatisfy { $0 >= 0 },
                     "split: sizes \(sizes) do not add up to dimension \(a) of size \(shape[a])")
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return sliced(a, start: start, end: start + n)
        }
    }

    /// `chunks` pieces of (nearly) equal size along `dim`, as torch.chunk.
    public func chunk(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        require(chunks > 0, "chunk: number of chunks must be positive, got \(chunks)")
        let a = normalizeAxis(dim, rank: rank, op: "chunk")
        return split(Swift.max(1, (shape[a] + chunks - 1) / chunks), dim: a)
    }
}

/// How `pad` fills the border.
public enum PaddingMode: String, Sendable { case constant, reflect, replicate }

/// Pads the trailing axes as torch.nn.functional.pad: `padding` lists (before, after) pairs starting
/// from the LAST axis — [left, right, top, bottom, …]. Negative amounts crop.
public func pad(_ input: Tensor, _ padding: [Int], mode: PaddingMode = .constant, value: Float = 0) -> Tensor {
    require(padding.count % 2 == 0 && padding.count / 2 <= input.rank,
                 "pad: padding \(padding) must hold (before, after) pairs for at most \(input.rank) axes")
    var result = input
    for pairIndex in 0..<(padding.count / 2) {
        let axis = input.rank - 1 - pairIndex
        result = padAxis(result, axis: axis, before: padding[2 * pairIndex], after: padding[2 * pairIndex + 1],
                         mode: mode, value: value)
    }
    return result
}

private func padAxis(_ x: Tensor, axis: Int, before: Int, after: Int, mode: PaddingMode, value: Float) -> Tensor {
    let n = x.shape[axis]
    var current = x
    // Negative padding crops first.
    if before < 0 || after < 0 {
        current = current.sliced(axis, start: Swift.max(-before, 0), end: n - Swift.max(-after, 0))
    }
    let b = Swift.max(before, 0), e = Swift.max(after, 0)
    if b == 0 && e == 0 { return current }
    let size = current.shape[axis]
    switch mode {
    case .constant:
        var shapeB = current.shape, shapeE = current.shape
        shapeB[axis] = b
        shapeE[axis] = e
        return Tensor.cat([Tensor.full(shapeB, value, device: current.device), current,
                           Tensor.full(shapeE, value, device: current.device)], dim: axis)
    case .reflect:
        require(b < size && e < size, "pad: reflect padding (\(b), \(e)) must be smaller than the dimension size \(size)")
        let left = (0..<b).map { b - $0 }, right = (0..<e).map { size - 2 - $0 }
        let index = Tensor(left + Array(0..<size) + right, device: current.device)
        return current.indexSelect(axis, index)
    case .replicate:
        require(size > 0, "pad: cannot replicate-pad an empty dimension")
        let index = Tensor(Array(repeating: 0, count: b) + Array(0..<size) + Array(repeating: size - 1, count: e),
                           device: current.device)
        return current.indexSelect(axis, index)
    }
}
