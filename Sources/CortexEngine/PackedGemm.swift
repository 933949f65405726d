// Cortex's own single-precision GEMM, on the register-blocked kernels of gemm_packed.c and gemv.c: B packed
// into 32-column panels per call, A read in place (or transposed once), C split over the threads by panels
// (each thread packing its own) or by rows. It runs where the platform BLAS would use a narrower instruction
// set than the CPU has: Debian 12's OpenBLAS 0.3.21 does not know recent Intel CPUs and runs its SSE3 kernels
// there, at a third of the speed (see BLAS.engine).
import CCortexKernels

enum PackedGemm {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major, with m, n, k ≥ 1. `level` caps the instruction set
    /// (2 AVX-512, 1 AVX2+FMA, 0 portable), for tests; it is lowered to what the CPU and CORTEX_ISA allow.
    static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, level: Int32 = 2
    ) {
        if m == 1 {
            rowProduct(transposeA: transposeA, transposeB: transposeB, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                       beta: beta, c: c)
            return
        }
        // A row-major: as given, or transposed once (k × m stored, read m × k). A weight gradient's Aᵀ is the
        // batch's activations, small next to the product.
        var transposedA: TensorBuffer?
        let rowsA: UnsafePointer<Float>, strideA: Int
        if transposeA {
            let buffer = TensorBuffer(byteCount: m * k * MemoryLayout<Float>.stride)
            ck_transpose(a, lda, k, m, buffer.floats)
            transposedA = buffer
            rowsA = UnsafePointer(buffer.floats)
            strideA = k
        } else {
            rowsA = a
            strideA = lda
        }
        let packed = TensorBuffer(byteCount: max(1, ck_packed_size(k, n)) * MemoryLayout<Float>.stride)
        let panelsOfB = packed.floats
        let panelWidth = Int(CK_PACK_COLUMNS), panels = (n + panelWidth - 1) / panelWidth
        let threads = m * n * k < BLAS.smallGemmWork ? 1 : BLAS.threadCount

        /// Columns [first, end) of B packed, then multiplied into C's same columns for rows [row0, row1).
        func pack(panels range: Range<Int>) {
            let j0 = range.lowerBound * panelWidth, width = min(n, range.upperBound * panelWidth) - j0
            ck_pack_b_scaled(transposeB ? b + j0 * ldb : b + j0, ldb, transposeB ? 1 : 0, k, width, alpha, panelsOfB + j0 * k)
        }
        func multiply(panels range: Range<Int>, rows: Range<Int>) {
            let j0 = range.lowerBound * panelWidth, width = min(n, range.upperBound * panelWidth) - j0
            let target = c + rows.lowerBound * ldc + j0
            if beta != 0 && beta != 1 {
                for row in 0..<rows.count { for j in 0..<width { target[row * ldc + j] *= beta } }
            }
            ck_gemm_packed_isa(level, rows.count, width, k, rowsA + rows.lowerBound * strideA, strideA, panelsOfB + j0 * k,
                               target, ldc, beta == 0 ? nil : UnsafePointer(target), ldc)
        }

        if threads <= 1 {
            pack(panels: 0..<panels)
            multiply(panels: 0..<panels, rows: 0..<m)
        } else if panels >= threads {
            // By panels: each thread packs the columns it multiplies, so packing is split too and needs no barrier.
            let chunks = threads
            let split = Parallel.runIfPoolFree(chunks) { chunk in
                let range = (panels * chunk / chunks)..<(panels * (chunk + 1) / chunks)
                pack(panels: range)
                multiply(panels: range, rows: 0..<m)
            }
            if !split {
                pack(panels: 0..<panels)
                multiply(panels: 0..<panels, rows: 0..<m)
            }
        } else {
            // Few columns, many rows: B packed once, the rows shared out.
            pack(panels: 0..<panels)
            let chunks = min(threads, max(1, m / 8))
            let split = chunks > 1 && Parallel.runIfPoolFree(chunks) { chunk in
                multiply(panels: 0..<panels, rows: (m * chunk / chunks)..<(m * (chunk + 1) / chunks))
            }
            if !split { multiply(panels: 0..<panels, rows: 0..<m) }
        }
        withExtendedLifetime((packed, transposedA)) {}
    }

    /// A one-row product (batch-1 inference), memory-bound on B: B's columns split over the threads, each
    /// streaming its share from its own cache.
    private static func rowProduct(
        transposeA: Bool, transposeB: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>
    ) {
        // op(A) is 1 × k: a row as given, or a column of a k × 1 matrix, strided by lda.
        var gathered: TensorBuffer?
        var x = a
        if transposeA && lda != 1 {
            let buffer = TensorBuffer(byteCount: k * MemoryLayout<Float>.stride)
            for p in 0..<k { buffer.floats[p] = a[p * lda] }
            gathered = buffer
            x = UnsafePointer(buffer.floats)
        }
        func columns(_ range: Range<Int>) {
            if transposeB {
                ck_gemv_rows(range.count, k, alpha, b + range.lowerBound * ldb, ldb, x, beta, c + range.lowerBound)
            } else {
                ck_gemv_columns(range.count, k, alpha, b + range.lowerBound, ldb, x, beta, c + range.lowerBound)
            }
        }
        let chunks = n * k >= BLAS.rowProductSplitWork ? min(BLAS.threadCount, max(1, n / 64)) : 1
        let split = chunks > 1 && Parallel.runIfPoolFree(chunks) { chunk in
            columns((n * chunk / chunks)..<(n * (chunk + 1) / chunks))
        }
        if !split { columns(0..<n) }
        withExtendedLifetime(gathered) {}
    }
}
