// Reductions: sum, mean, amax/amin, var/std, logsumexp, cumsum, argmax/argmin. Each reduces a set of
// axes by walking runs of adjacent axes as (outer, n, inner) blocks, the layout the engine reduces.
import CortexEngine

extension Tensor {
    /// Normalised, sorted, de-duplicated axes (all axes when `dims` is nil).
    func reductionAxes(_ dims: [Int]?, op: String) -> [Int] {
        guard let dims else { return Array(0..<rank) }
        return Array(Set(dims.map { normalizeAxis($0, rank: rank, op: op) })).sorted()
    }

    /// Runs an engine reduction over `axes`, keeping them as size-1 axes. No autograd.
    func reduceKernel(_ op: ReduceOp, axes: [Int]) -> Tensor {
        var current = contiguousStorage()
        // Reduce runs of adjacent axes, last run first, so earlier axis numbers stay valid.
        var runs: [[Int]] = []
        for axis in axes {
            if let last = runs.last?.last, last + 1 == axis { runs[runs.count - 1].append(axis) } else { runs.append([axis]) }
        }
        if axes.isEmpty { return current }
        for run in runs.reversed() {
            let s = current.shape
            let outer = s[..<run.first!].reduce(1, *), n = s[run.first!...run.last!].reduce(1, *)
            let inner = s[(run.last! + 1)...].reduce(1, *)
            var outShape = s
            for a in run { outShape[a] = 1 }
            let out = makeOutput(outShape)
            backend.reduce(op, current.operand, outer: outer, n: n, inner: inner, into: out.operand)
            current = out
        }
        return current
    }

    /// Drops the size-1 reduced axes unless the caller keeps them.
    private func finishReduction(_ reduced: Tensor, axes: [Int], keepDim: Bool) -> Tensor {
        if keepDim { return reduced }
        return reduced.reshaped(shape.indices.filter { !axes.contains($0) }.map { shape[$0] })
    }

    /// Sum over `dims` (all axes when nil).
    public func sum(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        requireFloat("sum")
        let axes = reductionAxes(dims, op: "sum")
        let kept = reduceKernel(.sum, axes: axes)
        let out = finishReduction(kept.detach(), axes: axes, keepDim: keepDim)
        let inputShape = shape, keptShape = kept.shape
        return out.recordingGrad("sum", attributes: ["dims": .ints(axes), "keep_dim": .bool(keepDim)], inputs: [self]) { g in [g.reshaped(keptShape).expanded(to: inputShape)] }
    }

    public func sum(dim: Int, keepDim: Bool = false) -> Tensor { sum(dims: [dim], keepDim: keepDim) }

    /// Mean over `dims` (all axes when nil).
    public func mean(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        let axes = reductionAxes(dims, op: "mean")
        let n = axes.map { shape[$0] }.reduce(1, *)
        return sum(dims: axes, keepDim: keepDim) / Float(n)
    }

    public func mean(dim: Int, keepDim: Bool = false) -> Tensor { mean(dims: [dim], keepDim: keepDim) }

    /// Maximum over `dims`; the gradient is shared evenly among tied maxima (as torch.amax).
    public func amax(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { extreme(.max, dims, keepDim, "amax") }

    /// Minimum over `dims`; the gradient is shared evenly among tied minima (as torch.amin).
    public func amin(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { extreme(.min, dims, keepDim, "amin") }

    public func amax(dim: Int, keepDim: Bool = false) -> Tensor { amax(dims: [dim], keepDim: keepDim) }
    public func amin(dim: Int, keepDim: Bool = false) -> Tensor { amin(dims: [dim], keepDim: keepDim) }

    private func extreme(_ op: ReduceOp, _ dims: [Int]?, _ keepDim: Bool, _ name: String) -> Tensor {
        requireFloat(name)
        require(count > 0, "\(name): cannot reduce an empty tensor of shape \(shape)")
        let axes = reductionAxes(dims, op: name)
        let kept = reduceKernel(op, axes: axes)
        let out = finishReduction(kept.detach(), axes: axes, keepDim: keepDim)
        let input = self, keptShape = kept.shape
        return out.recordingGrad(name, attributes: ["dims": .ints(axes), "keep_dim": .bool(keepDim)], inputs: [self]) { g in
            let hit = input.detach().eq(kept).to(.float32)
            let ties = hit.sum(dims: axes, keepDim: true)
            return [hit * (g.reshaped(keptShape) / ties)]
        }
    }

    /// Variance over `dims` with `correction` (1 = unbiased, Bessel's), as torch.var.
    public func variance(dims: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> Tensor {
        let axes = reductionAxes(dims, op: "var")
        let n = axes.map { shape[$0] }.reduce(1, *)
        let centred = self - mean(dims: axes, keepDim: true)
        return centred.square().sum(dims: axes, keepDim: keepDim) / Float(max(n - correction, 0))
    }

    /// Standard deviation over `dims` with `correction`, as torch.std.
    public func standardDeviation(dims: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> Tensor {
        variance(dims: dims, correction: correction, keepDim: keepDim).sqrt()
    }

    /// log Σ exp over `dims`, computed stably by factoring out the maximum.
    public func logSumExp(dims: [Int], keepDim: Bool = false) -> Tensor {
        let axes = reductionAxes(dims, op: "logsumexp")
        // The shift is a constant for autograd: its derivative cancels exactly.
        var shift = detach().amax(dims: axes, keepDim: true)
        shift = Tensor.where(shift.abs().eq(.infinity), shift.constant(0), shift)
        let total = (self - shift).exp().sum(dims: axes, keepDim: true).log() + shift
        return keepDim ? total : total.squeezedAxes(axes)
    }

    public func logSumExp(dim: Int, keepDim: Bool = false) -> Tensor { logSumExp(dims: [dim], keepDim: keepDim) }

    /// Removes the given size-1 axes.
    func squeezedAxes(_ axes: [Int]) -> Tensor {
        reshaped(shape.indices.filter { !axes.contains($0) }.map { shape[$0] })
    }

    /// Running sum along `dim` (as torch.cumsum); its adjoint is the reversed running sum.
    public func cumsum(_ dim: Int) -> Tensor {
        requireFloat("cumsum")
        let a = normalizeAxis(dim, rank: rank, op: "cumsum")
        let out = Tensor.prefixSum(self, axis: a, reverse: false)
        return out.recordingGrad("cumsum", attributes: ["dim": .int(a)], inputs: [self]) { g in [Tensor.prefixSum(g, axis: a, reverse: true)] }
    }

    private static func prefixSum(_ x: Tensor, axis: Int, reverse: Bool) -> Tensor {
        let c = x.contiguousStorage(), out = x.makeOutput(x.shape)
        let s = x.shape
        let outer = s[..<axis].reduce(1, *), n = s.isEmpty ? 1 : s[axis], inner = s.isEmpty ? 1 : s[(axis + 1)...].reduce(1, *)
        x.backend.cumulativeSum(c.operand, outer: outer, n: n, inner: inner, reverse: reverse, into: out.operand)
        return out
    }

    /// Index of the maximum along `dim` (first one on ties; over all elements when nil), int64.
    public func argmax(dim: Int? = nil, keepDim: Bool = false) -> Tensor { argExtreme(dim, keepDim, max: true) }

    /// Index of the minimum along `dim` (first one on ties; over all elements when nil), int64.
    public func argmin(dim: Int? = nil, keepDim: Bool = false) -> Tensor { argExtreme(dim, keepDim, max: false) }

    private func argExtreme(_ dim: Int?, _ keepDim: Bool, max isMax: Bool) -> Tensor {
        let name = isMax ? "argmax" : "argmin"
        let x = (dtype == .float32 ? self : to(.float32)).contiguousStorage()
        require(count > 0, "\(name): cannot reduce an empty tensor of shape \(shape)")
        guard let dim else {
            let flat = x.reshaped([1, count, 1])
            let result = flat.argExtremeKernel(outer: 1, n: count, inner: 1, isMax: isMax, shape: keepDim ? shape.map { _ in 1 } : [])
            return result
        }
        let a = normalizeAxis(dim, rank: rank, op: name)
        var outShape = shape
        outShape[a] = 1
        let result = x.argExtremeKernel(outer: shape[..<a].reduce(1, *), n: shape[a], inner: shape[(a + 1)...].reduce(1, *),
                                        isMax: isMax, shape: outShape)
        return keepDim ? result : result.squeezedAxes([a])
    }

    private func argExtremeKernel(outer: Int, n: Int, inner: Int, isMax: Bool, shape outShape: [Int]) -> Tensor {
        let out = makeOutput(outShape, dtype: .int64)
        backend.argExtreme(operand, outer: outer, n: n, inner: inner, max: isMax, into: out.operand)
        return out
    }
}
