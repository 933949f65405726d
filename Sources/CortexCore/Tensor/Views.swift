// Views: reshape, permute, squeeze/unsqueeze, slicing with steps, expand. A view shares its
// storage with the source and only changes shape, strides and offset; each one's backward maps the
// gradient back to the source's layout.
import CortexEngine

extension Tensor {
    /// A tensor with the same storage and a new layout, not recorded by autograd.
    package func view(shape: [Int], strides: [Int], offset: Int) -> Tensor {
        Tensor(storage: storage, layout: Layout(shape: shape, strides: strides, offset: offset), dtype: dtype)
    }

    /// Writes this tensor's values into the (possibly strided) view `destination` of the same shape.
    func copyValues(into destination: Tensor) {
        require(destination.shape == shape && destination.dtype == dtype,
                     "copy: shapes/dtypes differ: \(shape) \(dtype) into \(destination.shape) \(destination.dtype)")
        backend.copy(operand, into: destination.operand)
    }

    /// Writes `value` into every element, in place on the device, outside autograd; a view writes through
    /// to the tensor it views (`t.selected(0, 3).fill(0)` zeroes row 3 of `t`).
    public func fill(_ value: Float) {
        backend.fill(operand, with: Double(value))
    }

    /// A new contiguous tensor with the same values and its own storage; not recorded by autograd.
    public func copied() -> Tensor {
        let out = makeOutput(shape, dtype: dtype)
        copyValues(into: out)
        return out
    }

    /// A contiguous tensor with the same values (`self` when already contiguous). Differentiable.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        return contiguousStorage().recordingGrad("contiguous", inputs: [self]) { g in [g] }
    }

    // MARK: - Reshape

    /// The same elements in a new shape; one dimension may be -1 (inferred). A view when the layout
    /// allows it, otherwise a copy — as torch.reshape.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let resolved = resolveShape(newShape, count: count, op: "reshape", from: shape)
        if resolved == shape { return self }
        let source = isContiguous ? self : contiguousStorage()
        let out = source.view(shape: resolved, strides: contiguousStrides(resolved), offset: source.offset)
        let inputShape = shape
        return out.recordingGrad("reshape", attributes: ["shape": .ints(resolved)], inputs: [self]) { g in [g.reshaped(inputShape)] }
    }

    /// Collapses axes `start...end` into one.
    public func flattened(from start: Int = 0, to end: Int = -1) -> Tensor {
        if rank == 0 { return reshaped([1]) }
        let s = normalizeAxis(start, rank: rank, op: "flatten"), e = normalizeAxis(end, rank: rank, op: "flatten")
        require(s <= e, "flatten: start dimension \(start) comes after end dimension \(end)")
        let merged = shape[s...e].reduce(1, *)
        return reshaped(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    // MARK: - Axis order

    /// The axes reordered: result axis i is source axis `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        require(order.count == rank, "permute: \(order.count) dimensions given for a tensor of rank \(rank)")
        let axes = order.map { normalizeAxis($0, rank: rank, op: "permute") }
        require(Set(axes).count == rank, "permute: dimensions \(order) repeat an axis")
        let out = view(shape: axes.map { shape[$0] }, strides: axes.map { strides[$0] }, offset: offset)
        var inverse = Array(repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return out.recordingGrad("permute", attributes: ["order": .ints(axes)], inputs: [self]) { g in [g.permuted(inverse)] }
    }

    /// Swaps two axes.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizeAxis(a, rank: rank, op: "transpose"), normalizeAxis(b, rank: rank, op: "transpose"))
        return permuted(order)
    }

    /// The transpose of a matrix (rank ≤ 2).
    public var T: Tensor {
        require(rank <= 2, "T: expects a matrix, got shape \(shape); use transposed(_:_:) or permuted(_:)")
        return rank < 2 ? self : transposed(0, 1)
    }

    // MARK: - Adding and removing unit axes

    /// A new axis of size 1 at `axis` (which may be `rank`, or negative counting from rank + 1).
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        require(a >= 0 && a <= rank, "unsqueeze: dimension \(axis) is out of range for a tensor of rank \(rank)")
        var newShape = shape, newStrides = strides
        newShape.insert(1, at: a)
        newStrides.insert(a < rank ? strides[a] * shape[a] : 1, at: a)
        let out = view(shape: newShape, strides: newStrides, offset: offset)
        return out.recordingGrad("unsqueeze", attributes: ["dim": .int(a)], inputs: [self]) { g in [g.squeezed(a)] }
    }

    /// Removes `axis` if its size is 1; with no argument, removes every size-1 axis.
    public func squeezed(_ axis: Int? = nil) -> Tensor {
        let drop: [Int]
        if let axis {
            let a = normalizeAxis(axis, rank: rank, op: "squeeze")
            drop = shape[a] == 1 ? [a] : []
        } else {
            drop = shape.indices.filter { shape[$0] == 1 }
        }
        if drop.isEmpty { return self }
        let keep = shape.indices.filter { !drop.contains($0) }
        let out = view(shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
        let inputShape = shape
        return out.recordingGrad("squeeze", attributes: ["shape": .ints(out.shape)], inputs: [self]) { g in [g.reshaped(inputShape)] }
    }

    // MARK: - Broadcasting

    /// A view repeating size-1 axes to `newShape` without copying (-1 keeps a size), as torch.expand.
    public func expanded(to newShape: [Int]) -> Tensor {
        require(newShape.count >= rank, "expand: cannot expand shape \(shape) to fewer dimensions \(newShape)")
        let lead = newShape.count - rank
        var outShape = newShape, outStrides = Array(repeating: 0, count: newShape.count)
        for i in 0..<newShape.count {
            if i < lead {
                require(newShape[i] >= 0, "expand: size \(newShape[i]) not allowed for a new leading dimension")
                continue
            }
            let size = shape[i - lead]
            if newShape[i] == -1 || newShape[i] == size {
                outShape[i] = size
                outStrides[i] = strides[i - lead]
            } else {
                require(size == 1, "expand: cannot expand shape \(shape) to \(newShape): dimension \(i - lead) has size \(size), not 1")
            }
        }
        if outShape == shape { return self }
        let out = view(shape: outShape, strides: outStrides, offset: offset)
        let inputShape = shape
        return out.recordingGrad("expand", attributes: ["shape": .ints(out.shape)], inputs: [self]) { g in [g.sumToShape(inputShape)] }
    }

    /// Reduces a broadcast gradient back to `target`: sums leading axes and axes where target has 1.
    func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        require(lead >= 0, "sumToShape: cannot reduce \(shape) to \(target)")
        var axes = Array(0..<lead)
        for i in target.indices where target[i] == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        var result = axes.isEmpty ? self : sum(dims: axes, keepDim: true)
        if lead > 0 { result = result.reshaped(target) }
        require(result.shape == target, "sumToShape: cannot reduce \(shape) to \(target)")
        return result
    }

    // MARK: - Slicing

    /// Elements start, start+step, … below end along `axis` (negative bounds count from the end,
    /// bounds are clamped as in Python slicing). A view.
    public func sliced(_ axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "slice")
        require(step > 0, "slice: step must be positive, got \(step)")
        let n = shape[a]
        func clampBound(_ v: Int) -> Int { min(max(v < 0 ? v + n : v, 0), n) }
        let lo = clampBound(start), hi = max(lo, clampBound(end ?? n))
        let length = (hi - lo + step - 1) / step
        var newShape = shape, newStrides = strides
        newShape[a] = length
        newStrides[a] = strides[a] * step
        let out = view(shape: newShape, strides: newStrides, offset: offset + lo * strides[a])
        let inputShape = shape
        return out.recordingGrad("slice", attributes: ["dim": .int(a), "start": .int(lo), "end": .int(hi), "step": .int(step)],
                                 inputs: [self]) { g in
            let full = Tensor.zeros(inputShape, device: g.device)
            g.contiguousStorage().copyValues(into: full.sliced(a, start: lo, end: hi, step: step))
            return [full]
        }
    }

    /// The sub-tensor at `index` along `axis`, with that axis removed (as tensor[..., index, ...]).
    public func selected(_ axis: Int, _ index: Int) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "select")
        let i = index < 0 ? index + shape[a] : index
        require(i >= 0 && i < shape[a], "select: index \(index) is out of range for dimension \(a) of size \(shape[a])")
        return sliced(a, start: i, end: i + 1).squeezed(a)
    }

    /// `t[0]`, `t[1, 2]`: integer indices select along the leading axes.
    public subscript(_ indices: Int...) -> Tensor {
        var result = self
        for index in indices { result = result.selected(0, index) }
        return result
    }

    /// `t[1..<5, 2...]`: ranges slice along the leading axes.
    public subscript(_ ranges: any RangeExpression<Int>...) -> Tensor {
        var result = self
        for (axis, range) in ranges.enumerated() {
            let bounds = range.relative(to: 0..<result.shape[axis])
            result = result.sliced(axis, start: bounds.lowerBound, end: bounds.upperBound)
        }
        return result
    }
}

/// Resolves a -1 in a requested shape and checks the element count matches.
func resolveShape(_ requested: [Int], count: Int, op: String, from source: [Int]) -> [Int] {
    let inferred = requested.indices.filter { requested[$0] == -1 }
    require(inferred.count <= 1, "\(op): only one dimension can be -1 in \(requested)")
    require(requested.allSatisfy { $0 >= -1 }, "\(op): invalid shape \(requested)")
    var shape = requested
    if let i = inferred.first {
        let known = requested.filter { $0 != -1 }.reduce(1, *)
        require(known > 0 && count % known == 0, "\(op): shape \(requested) is invalid for input of shape \(source) (\(count) elements)")
        shape[i] = count / known
    }
    require(shape.reduce(1, *) == count, "\(op): shape \(requested) is invalid for input of shape \(source) (\(count) elements)")
    return shape
}
