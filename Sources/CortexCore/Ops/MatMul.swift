// Matrix products on the platform BLAS: matmul (vector, matrix, batched with broadcast batch axes)
// and linear. Transposed views go to BLAS as transpose flags instead of being copied.
import CortexEngine

extension Tensor {
    /// A 2-D operand as BLAS sees it: the tensor, whether it is stored transposed, and its leading dimension.
    private func blasOperand() -> (tensor: Tensor, transposed: Bool, ld: Int) {
        require(rank == 2, "blasOperand: expects a matrix, got shape \(shape)")
        if strides[1] == 1 && strides[0] >= max(shape[1], 1) { return (self, false, strides[0]) }
        if strides[0] == 1 && strides[1] >= max(shape[0], 1) { return (self, true, strides[1]) }
        let c = contiguousStorage()
        return (c, false, max(shape[1], 1))
    }

    /// C = A·B for 2-D float tensors through one sgemm call (no autograd).
    static func gemm(_ a: Tensor, _ b: Tensor) -> Tensor {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        let (ta, transA, lda) = a.blasOperand(), (tb, transB, ldb) = b.blasOperand()
        let out = a.makeOutput([m, n])
        a.backend.gemm(transposeA: transA, transposeB: transB, m: m, n: n, k: k, ta.operand, lda: lda, tb.operand, ldb: ldb,
                       beta: 0, into: out.operand, ldc: max(n, 1))
        return out
    }

    /// Matrix product with torch.matmul semantics: 1-D operands are promoted (and the added axis
    /// removed), batch axes broadcast.
    public func matmul(_ other: Tensor) -> Tensor {
        requireFloat("matmul"); other.requireFloat("matmul")
        require(rank >= 1 && other.rank >= 1, "matmul: both operands need at least 1 dimension, got shapes \(shape) and \(other.shape)")
        if rank == 1 && other.rank == 1 {
            require(shape == other.shape, "matmul: vectors of shapes \(shape) and \(other.shape) differ in length")
            return unsqueezed(0).matmul(other.unsqueezed(1)).reshaped([])
        }
        if rank == 1 { return unsqueezed(0).matmul(other).squeezed(-2) }
        if other.rank == 1 { return matmul(other.unsqueezed(1)).squeezed(-1) }
        let k = shape[rank - 1]
        require(other.shape[other.rank - 2] == k,
                     "matmul: shapes \(shape) and \(other.shape) cannot be multiplied (\(k) vs \(other.shape[other.rank - 2]))")
        if rank == 2 && other.rank == 2 { return Tensor.matmul2D(self, other) }
        if other.rank == 2 {
            // (…, m, k)·(k, n): fold the batch into the rows of one large GEMM.
            let rows = contiguous().reshaped([-1, k])
            return Tensor.matmul2D(rows, other).reshaped(Array(shape.dropLast()) + [other.shape[1]])
        }
        return Tensor.batchedMatmul(self, other)
    }

    private static func matmul2D(_ a: Tensor, _ b: Tensor) -> Tensor {
        gemm(a, b).recordingGrad("matmul", inputs: [a, b]) { g in
            [a.requiresGrad ? gemm(g, b.detach().transposed(0, 1)) : nil,
             b.requiresGrad ? gemm(a.detach().transposed(0, 1), g) : nil]
        }
    }

    /// alpha · A·B over broadcast batch axes, the matrices read in place: a transposed view (keys in attention) or
    /// a per-head slice of a wider projection reaches BLAS as a transpose flag and a leading dimension, and a
    /// broadcast batch axis as a zero stride, with no copy.
    static func batchedMatmul(_ a: Tensor, _ b: Tensor, alpha: Float = 1) -> Tensor {
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batch = broadcastShapes(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "matmul")
        let (x, transA, lda) = a.detach().batchedBlasOperand(), (y, transB, ldb) = b.detach().batchedBlasOperand()
        let out = a.makeOutput(batch + [m, n])
        a.backend.batchedGemm(m: m, n: n, k: k, alpha: alpha, x.expanded(to: batch + Array(x.shape.suffix(2))).operand, transposeA: transA,
                              lda: lda, y.expanded(to: batch + Array(y.shape.suffix(2))).operand, transposeB: transB, ldb: ldb,
                              into: out.operand)
        return out.recordingGrad("matmul", attributes: alpha == 1 ? [:] : ["alpha": .float(alpha)], inputs: [a, b]) { g in
            let ga = a.requiresGrad ? batchedMatmul(g, b.detach().transposed(-1, -2), alpha: alpha).sumToShape(a.shape) : nil
            let gb = b.requiresGrad ? batchedMatmul(a.detach().transposed(-1, -2), g, alpha: alpha).sumToShape(b.shape) : nil
            return [ga, gb]
        }
    }

    /// A (batch…, rows, cols) operand as the batched GEMM reads it: each matrix stored row-major or transposed,
    /// with its leading dimension; a contiguous copy when it is neither.
    private func batchedBlasOperand() -> (tensor: Tensor, transposed: Bool, ld: Int) {
        let rows = shape[rank - 2], cols = shape[rank - 1], rowStride = strides[rank - 2], colStride = strides[rank - 1]
        if colStride == 1 && (rowStride >= max(cols, 1) || rows == 1) { return (self, false, rows == 1 ? max(cols, 1) : rowStride) }
        if rowStride == 1 && (colStride >= max(rows, 1) || cols == 1) { return (self, true, cols == 1 ? max(rows, 1) : colStride) }
        return (contiguousStorage(), false, max(cols, 1))
    }
}

/// y = x·Wᵀ + b for x of shape (…, in), weight (out, in), bias (out), as torch.nn.functional.linear.
/// The bias is written into the output first and BLAS accumulates onto it, saving a pass.
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    input.requireFloat("linear"); weight.requireFloat("linear")
    require(weight.rank == 2, "linear: weight must be 2-D (out, in), got shape \(weight.shape)")
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    require(input.rank >= 1 && input.shape[input.rank - 1] == inFeatures,
                 "linear: input shape \(input.shape) does not end in \(inFeatures) features (weight shape \(weight.shape))")
    if let bias { require(bias.shape == [outFeatures], "linear: bias shape \(bias.shape) should be [\(outFeatures)]") }
    let x = input.contiguousStorage().reshaped([-1, inFeatures]).detach()
    let rows = x.shape[0]
    let w = weight.contiguousStorage()
    let out = input.makeOutput([rows, outFeatures])
    var beta: Float = 0
    if let bias {
        // The bias broadcast over the rows is copied in on the device; BLAS then accumulates onto it.
        input.backend.copy(bias.broadcastOperand(to: [rows, outFeatures]), into: out.operand)
        beta = 1
    }
    input.backend.gemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures, x.operand, lda: max(inFeatures, 1),
                       w.operand, ldb: max(inFeatures, 1), beta: beta, into: out.operand, ldc: max(outFeatures, 1))
    let outShape = Array(input.shape.dropLast()) + [outFeatures]
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    return out.reshaped(outShape).recordingGrad("linear", inputs: inputs) { g in
        let g2 = g.contiguousStorage().reshaped([-1, outFeatures])
        let dx = input.requiresGrad ? Tensor.gemm(g2, w.detach()).reshaped(input.shape) : nil
        let dw = weight.requiresGrad ? Tensor.gemm(g2.transposed(0, 1), x) : nil
        let db = bias?.requiresGrad == true ? g2.sum(dims: [0]) : nil
        return bias == nil ? [dx, dw] : [dx, dw, db]
    }
}
