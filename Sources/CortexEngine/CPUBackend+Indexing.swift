// Reading and writing by integer index on the CPU: index_select / index_add along one axis, gather /
// scatter_add element-wise, and class-target checks. Indices are checked here, where they are.

extension CPUBackend {
    @inline(__always)
    private func checkedIndex(_ i: Int64, _ n: Int, _ op: String, _ axis: String) -> Int {
        require(i >= 0 && i < Int64(n), "\(op): index \(i) is out of range for \(axis) of size \(n)")
        return Int(i)
    }

    public func indexSelect(_ x: Operand, outer: Int, n: Int, inner: Int, index: Operand, into out: Operand, op: String) {
        check(x, op); check(index, op); check(out, op)
        require(x.dtype == out.dtype, "\(op): output dtype \(out.dtype) differs from input dtype \(x.dtype)")
        // Rows are copied as bytes, so every dtype is selected exactly (int64 labels above 2^24 included).
        let size = x.dtype.byteSize, src = x.raw, dst = out.raw, idx = index.int64s, k = index.count, row = inner * size
        for j in 0..<k { _ = checkedIndex(idx[j], n, op, "the indexed dimension") }
        // Every selected row is written once: rows split over the threads (an embedding lookup of a whole batch).
        Parallel.forRange(k, grain: max(1, Parallel.elementwiseGrain * 4 / max(outer * row, 1))) { rows in
            for j in rows {
                let i = Int(idx[j])
                for o in 0..<outer { (dst + (o * k + j) * row).copyMemory(from: src + (o * n + i) * row, byteCount: row) }
            }
        }
    }

    public func indexAdd(_ source: Operand, outer: Int, n: Int, inner: Int, index: Operand, into out: Operand, op: String) {
        check(source, op); check(index, op); check(out, op)
        let s = source.floats, d = out.floats, idx = index.int64s, k = index.count
        for j in 0..<k { _ = checkedIndex(idx[j], n, op, "the indexed dimension") }
        // Several source rows may add into one destination row, so threads split the columns, not the rows: each
        // owns its own slice of every row (an embedding's gradient summed over a whole batch).
        let columnChunks = outer * k * inner < 2 * Parallel.elementwiseGrain ? 1 : max(1, min(Parallel.threadCount, inner / 64))
        Parallel.forRange(columnChunks, grain: 1) { chunks in
            for chunk in chunks {
                let lower = inner * chunk / columnChunks, upper = inner * (chunk + 1) / columnChunks
                for j in 0..<k {
                    let i = Int(idx[j])
                    for o in 0..<outer {
                        let to = d + (o * n + i) * inner, from = s + (o * k + j) * inner
                        for e in lower..<upper { to[e] += from[e] }
                    }
                }
            }
        }
    }

    public func gather(_ x: Operand, axis: Int, index: Operand, into out: Operand, op: String) {
        check(x, op); check(index, op); check(out, op)
        let src = x.floats, dst = out.floats, idx = index.int64s, n = x.layout.shape[axis]
        CPUBackend.forEachIndexed(index.layout.shape, axis: axis, strides: x.layout.strides) { position, base, along in
            dst[position] = src[base + checkedIndex(idx[position], n, op, "dimension \(axis)") * along]
        }
    }

    public func scatterAdd(_ source: Operand, axis: Int, index: Operand, into out: Operand, op: String) {
        check(source, op); check(index, op); check(out, op)
        let s = source.floats, d = out.floats, idx = index.int64s, n = out.layout.shape[axis]
        CPUBackend.forEachIndexed(index.layout.shape, axis: axis, strides: out.layout.strides) { position, base, along in
            d[base + checkedIndex(idx[position], n, op, "dimension \(axis)") * along] += s[position]
        }
    }

    public func classTargets(_ target: Operand, classes: Int, ignoreIndex: Int, safe: Operand, valid: Operand, op: String) {
        check(target, op); check(safe, op); check(valid, op)
        let t = target.int64s, s = safe.int64s, v = valid.floats, ignored = Int64(ignoreIndex)
        for position in 0..<target.count {
            let value = t[position]
            if value == ignored {
                s[position] = 0
                v[position] = 0
                continue
            }
            require(value >= 0 && value < Int64(classes),
                    "\(op): target \(value) at position \(position) is out of range for \(classes) classes")
            s[position] = value
            v[position] = 1
        }
    }

    /// Visits every position of a contiguous `shape`, giving its flat index, the offset in a tensor with
    /// `strides` of the same coordinates except along `axis` (set to 0), and that axis's stride.
    static func forEachIndexed(_ shape: [Int], axis: Int, strides: [Int], _ body: (Int, Int, Int) -> Void) {
        let total = shape.reduce(1, *)
        guard total > 0 else { return }
        var coordinate = Array(repeating: 0, count: shape.count)
        var base = 0
        for position in 0..<total {
            body(position, base, strides[axis])
            var d = shape.count - 1
            while d >= 0 {
                coordinate[d] += 1
                if d != axis { base += strides[d] }
                if coordinate[d] < shape[d] { break }
                if d != axis { base -= strides[d] * shape[d] }
                coordinate[d] = 0
                d -= 1
            }
        }
    }
}
