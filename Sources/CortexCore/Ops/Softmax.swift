// softmax and log_softmax along one axis, on the engine's fused, numerically stable kernels.
import CortexEngine

extension Tensor {
    /// exp(x) / Σ exp(x) along `dim`.
    public func softmax(dim: Int) -> Tensor { softmaxFamily(dim: dim, log: false) }

    /// x − log Σ exp(x) along `dim`.
    public func logSoftmax(dim: Int) -> Tensor { softmaxFamily(dim: dim, log: true) }

    private func softmaxFamily(dim: Int, log: Bool) -> Tensor {
        let name = log ? "log_softmax" : "softmax"
        requireFloat(name)
        let a = normalizeAxis(dim, rank: rank, op: name)
        let outer = shape[..<min(a, rank)].reduce(1, *), n = rank == 0 ? 1 : shape[a]
        let inner = rank == 0 ? 1 : shape[(a + 1)...].reduce(1, *)
        let x = contiguousStorage(), y = makeOutput(shape)
        backend.softmax(x.operand, outer: outer, n: n, inner: inner, log: log, into: y.operand)
        let saved = y.detach()
        return y.recordingGrad(name, attributes: ["dim": .int(a)], inputs: [self]) { g in
            let gc = g.contiguousStorage(), dx = gc.makeOutput(gc.shape)
            gc.backend.softmaxBackward(output: saved.operand, gradient: gc.operand, outer: outer, n: n, inner: inner, log: log,
                                       into: dx.operand)
            return [dx]
        }
    }
}

public func softmax(_ x: Tensor, dim: Int) -> Tensor { x.softmax(dim: dim) }
public func logSoftmax(_ x: Tensor, dim: Int) -> Tensor { x.logSoftmax(dim: dim) }

/// softmax(x + mask) along the last axis, with an additive `mask` that broadcasts to x's shape (0 keeps,
/// −∞ blocks): one fused kernel instead of an add and a softmax, reading one mask row for every row that
/// shares it (attention's key-padding and causal masks). Rows that are entirely blocked give NaN, as in
/// PyTorch. The mask gets no gradient.
public func maskedSoftmax(_ x: Tensor, mask: Tensor) -> Tensor {
    let op = "masked_softmax"
    x.requireFloat(op); mask.requireFloat(op)
    require(x.rank >= 1, "\(op): expects at least one dimension")
    let merged = broadcastShapes(x.shape, mask.shape, op: op)
    require(merged == x.shape, "\(op): mask of shape \(mask.shape) does not broadcast to scores of shape \(x.shape)")
    let n = x.shape[x.rank - 1], rows = x.count / max(n, 1)
    // The kernel reads each mask row contiguously: a mask broadcast along the last axis is expanded first.
    var m = mask.detach()
    if m.rank == 0 || m.shape[m.rank - 1] != n || m.strides[m.rank - 1] != 1 {
        m = m.expanded(to: Array(m.shape.dropLast()) + [n]).contiguous()
    }
    let input = x.contiguousStorage(), y = x.makeOutput(x.shape)
    x.backend.maskedSoftmax(input.operand, mask: m.broadcastOperand(to: x.shape), into: y.operand)
    let saved = y.detach()
    return y.recordingGrad(op, inputs: [x]) { g in
        let gc = g.contiguousStorage(), dx = gc.makeOutput(gc.shape)
        gc.backend.softmaxBackward(output: saved.operand, gradient: gc.operand, outer: rows, n: n, inner: 1, log: false, into: dx.operand)
        return [dx]
    }
}
