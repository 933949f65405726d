// Choosing elements by mask or condition: where, masked_fill, tril/triu.
import CortexEngine

extension Tensor {
    /// Elements of `a` where `condition` is true, else of `b`; all three broadcast together.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        a.requireFloat("where"); b.requireFloat("where")
        let shape = broadcastShapes(broadcastShapes(condition.shape, a.shape, op: "where"), b.shape, op: "where")
        let mask = condition.dtype == .bool ? condition : condition.ne(0)
        let out = a.makeOutput(shape)
        a.backend.select(mask.broadcastOperand(to: shape), a.broadcastOperand(to: shape), b.broadcastOperand(to: shape),
                         into: out.operand)
        return out.recordingGrad("where", inputs: [a, b]) { g in
            let zero = g.constant(0)
            return [a.requiresGrad ? Tensor.where(mask, g, zero).sumToShape(a.shape) : nil,
                    b.requiresGrad ? Tensor.where(mask, zero, g).sumToShape(b.shape) : nil]
        }
    }

    /// `value` where `mask` (broadcast to this shape) is true; elsewhere this tensor.
    public func maskedFill(_ mask: Tensor, _ value: Float) -> Tensor {
        let merged = broadcastShapes(shape, mask.shape, op: "masked_fill")
        require(merged == shape, "masked_fill: mask of shape \(mask.shape) does not broadcast to input shape \(shape)")
        return Tensor.where(mask, constant(value), self)
    }

    /// The lower triangle of the last two axes (elements with column − row ≤ `diagonal`); others 0.
    public func tril(diagonal: Int = 0) -> Tensor { triangle(diagonal: diagonal, lower: true) }

    /// The upper triangle of the last two axes (elements with column − row ≥ `diagonal`); others 0.
    public func triu(diagonal: Int = 0) -> Tensor { triangle(diagonal: diagonal, lower: false) }

    private func triangle(diagonal: Int, lower: Bool) -> Tensor {
        require(rank >= 2, "\(lower ? "tril" : "triu"): expects at least 2 dimensions, got shape \(shape)")
        let rows = shape[rank - 2], cols = shape[rank - 1]
        let keep = Tensor.triangleMask(rows: rows, cols: cols, diagonal: diagonal, lower: lower, device: device)
        return Tensor.where(keep, self, constant(0))
    }

    /// A rows×cols bool mask, true on and below (lower) or on and above (upper) `diagonal`.
    static func triangleMask(rows: Int, cols: Int, diagonal: Int, lower: Bool, device: Device) -> Tensor {
        var values = [Bool](repeating: false, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols { values[r * cols + c] = lower ? c - r <= diagonal : c - r >= diagonal }
        }
        return Tensor(values, shape: [rows, cols], device: device)
    }
}
