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
