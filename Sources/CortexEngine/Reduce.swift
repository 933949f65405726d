// Reductions over the middle axis of a contiguous (outer, n, inner) block — the layout any
// reduction over one run of adjacent axes takes — plus whole-array sums.

public enum ReduceOp: Sendable { case sum, max, min }

enum Reduce {
    /// out[o, i] = reduce_k x[o, k, i]; `out` holds outer·inner floats.
    static func apply(_ op: ReduceOp, _ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int,
                             into out: UnsafeMutablePointer<Float>) {
        switch op {
        case .sum where inner > 1: sumColumns(x, outer, n, inner, out)
        case .sum: run(AddFunction.self, x, outer, n, inner, out, identity: 0, rowKernel: sumRow)
        case .max: run(MaxFunction.self, x, outer, n, inner, out, identity: -.infinity, rowKernel: maxRow)
        case .min: run(MinFunction.self, x, outer, n, inner, out, identity: .infinity, rowKernel: minRow)
        }
    }

    static func run<F: FloatBinaryFunction>(_ combine: F.Type, _ x: UnsafePointer<Float>, _ outer: Int, _ n: Int, _ inner: Int,
                                            _ out: UnsafeMutablePointer<Float>, identity: Float,
                                            rowKernel: @escaping (UnsafePointer<Float>, Int) -> Float) {
        if inner == 1 {
            let grain = max(1, Parallel.elementwiseGrain / max(n, 1))
            Parallel.forRange(outer, grain: grain) { rows in
                for o in rows { out[o] = rowKernel(x + o * n, n) }
            }
            return
        }
        // Accumulate whole rows of `inner` values: unit-stride, so it vectorises across `inner`.
        let grain = max(1, Parallel.elementwiseGrain / max(n * inner, 1))
        Parallel.forRange(outer, grain: grain) { rows in
            for o in rows {
                let dst = out + o * inner
                for i in 0..<inner { dst[i] = identity }
                for k in 0..<n {
                    let src = x + (o * n + k) * inner
                    for i in 0..<inner { dst[i] = F.apply(dst[i], src[i]) }
                }
            }
        }
    }

    /// out[o, i] = Σ_k x[o, k, i], blocked pairwise over k as `sumRow` is along a row: the k rows are summed in
    /// blocks of 16, and the blocks' sums combined pairwise, so rounding grows like log(n), not n. A running sum
    /// over 1,000 rows of 0.1 was off by 80 ulps (a mean of 0.09999905), enough to make a constant column look
    /// like a varying one, and a bias gradient over a large batch lost digits the same way.
    static func sumColumns(_ x: UnsafePointer<Float>, _ outer: Int, _ n: Int, _ inner: Int, _ out: UnsafeMutablePointer<Float>) {
        let grain = max(1, Parallel.elementwiseGrain / max(n * inner, 1))
        // One partial row per level of the pairwise tree below the top.
        var levels = 1
        while (columnBlock << levels) < n { levels += 1 }
        Parallel.forRange(outer, grain: grain) { rows in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: inner * levels)
            defer { scratch.deallocate() }
            for o in rows { sumColumns(x + o * n * inner, n, inner, into: out + o * inner, scratch: scratch) }
        }
    }

    /// Rows summed directly, below which the pairwise split stops.
    static let columnBlock = 16

    /// dst[i] = Σ_{k < n} x[k · inner + i]; `scratch` holds one row per further level of the split.
    private static func sumColumns(_ x: UnsafePointer<Float>, _ n: Int, _ inner: Int, into dst: UnsafeMutablePointer<Float>,
                                   scratch: UnsafeMutablePointer<Float>) {
        if n <= columnBlock {
            dst.update(repeating: 0, count: inner)
            for k in 0..<n {
                let src = x + k * inner
                for i in 0..<inner { dst[i] += src[i] }
            }
            return
        }
        let half = n / 2
        sumColumns(x, half, inner, into: dst, scratch: scratch)
        sumColumns(x + half * inner, n - half, inner, into: scratch, scratch: scratch + inner)
        for i in 0..<inner { dst[i] += scratch[i] }
    }

    /// Sum of `n` floats with 16 independent partial sums, blocked pairwise, so rounding error grows
    /// like log(n) rather than n (PyTorch's cascade sum gives the same accuracy class).
    static func sumRow(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        if n <= 1024 { return sumBlock(x, n) }
        let half = (n / 2 + 15) & ~15
        return sumRow(x, half) + sumRow(x + half, n - half)
    }

    @inline(__always)
    static func sumBlock(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= n {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var total = acc.sum()
        while i < n { total += x[i]; i += 1 }
        return total
    }

    static func maxRow(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var best = -Float.infinity
        for i in 0..<n {
            let v = x[i]
            if v.isNaN { return v }
            best = v > best ? v : best
        }
        return best
    }

    static func minRow(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var best = Float.infinity
        for i in 0..<n {
            let v = x[i]
            if v.isNaN { return v }
            best = v < best ? v : best
        }
        return best
    }

    /// Whole-array sum, split across cores above the element-wise grain.
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let chunks = min(Parallel.threadCount, max(1, count / (Parallel.elementwiseGrain * 4)))
        if chunks == 1 { return sumRow(x, count) }
        var partials = [Float](repeating: 0, count: chunks)
        partials.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forRange(chunks, grain: 1) { range in
                for c in range {
                    let start = count * c / chunks, end = count * (c + 1) / chunks
                    base[c] = sumRow(x + start, end - start)
                }
            }
        }
        return partials.reduce(0, +)
    }

    /// Index of the first maximum (or minimum) along the middle axis; NaN counts as the maximum,
    /// as in torch.argmax.
    static func argExtreme(_ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int, max isMax: Bool,
                                  into out: UnsafeMutablePointer<Int64>) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = x + o * n * inner + i
                var best = base[0], bestIndex = 0
                if !best.isNaN {
                    for k in 1..<max(n, 1) {
                        let v = base[k * inner]
                        if v.isNaN { best = v; bestIndex = k; break }
                        if isMax ? v > best : v < best { best = v; bestIndex = k }
                    }
                }
                out[o * inner + i] = Int64(bestIndex)
            }
        }
    }

    /// Inclusive prefix sum along the middle axis; `reverse` sums from the end (the cumsum adjoint).
    static func cumsum(_ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int, reverse: Bool,
                              into out: UnsafeMutablePointer<Float>) {
        for o in 0..<outer {
            let src = x + o * n * inner, dst = out + o * n * inner
            for step in 0..<n {
                let k = reverse ? n - 1 - step : step
                let row = src + k * inner, target = dst + k * inner
                if step == 0 {
                    for i in 0..<inner { target[i] = row[i] }
                } else {
                    let previous = dst + (reverse ? k + 1 : k - 1) * inner
                    for i in 0..<inner { target[i] = previous[i] + row[i] }
                }
            }
        }
    }
}
