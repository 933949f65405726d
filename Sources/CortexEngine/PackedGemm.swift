// Cortex's own single-precision GEMM, on the register-blocked kernels of gemm_packed.c and gemv.c: B packed
// per call into 32-column panels, 256 rows deep at a time; A read in place, as stored or transposed; C split
// over the threads by panels (each thread packing its own) or by rows. It runs where the platform BLAS would use a narrower instruction
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
        let panelWidth = Int(CK_PACK_COLUMNS), panels = (n + panelWidth - 1) / panelWidth
        let threads = m * n * k < BLAS.smallGemmWork ? 1 : BLAS.threadCount
        // k in blocks, so that the slice of a panel the kernel streams (depth × 32 floats) stays in L1 while every
        // row block of A passes over it. Each block is packed as a depth × n matrix of its own.
        let depth = min(k, Self.depth)
        let packed = TensorBuffer(byteCount: max(1, ck_packed_size(depth, n)) * threads * MemoryLayout<Float>.stride)

        /// C's columns of `range` panels, rows `rows`: for each depth block, that block of op(B)'s columns packed into
        /// `scratch`, then multiplied and added.
        func product(panels range: Range<Int>, rows: Range<Int>, scratch: UnsafeMutablePointer<Float>, packing: Bool) {
            let j0 = range.lowerBound * panelWidth, width = min(n, range.upperBound * panelWidth) - j0
            let target = c + rows.lowerBound * ldc + j0
            if beta != 0 && beta != 1 {
                for row in 0..<rows.count { for j in 0..<width { target[row * ldc + j] *= beta } }
            }
            var p0 = 0
            while p0 < k {
                let kc = min(depth, k - p0)
                let panelsOfB = packing ? scratch : scratch + (p0 / depth) * ck_packed_size(depth, n) + j0 * kc
                if packing {
                    ck_pack_b_scaled(transposeB ? b + j0 * ldb + p0 : b + p0 * ldb + j0, ldb, transposeB ? 1 : 0, kc, width, alpha,
                                     panelsOfB)
                }
                // The first block adds beta·C (nothing when beta is 0), later ones add the sum so far.
                let addend: UnsafePointer<Float>? = p0 == 0 && beta == 0 ? nil : UnsafePointer(target)
                if transposeA {
                    ck_gemm_packed_transposed_isa(level, rows.count, width, kc, a + p0 * lda + rows.lowerBound, lda, panelsOfB,
                                                  target, ldc, addend, ldc)
                } else {
                    ck_gemm_packed_isa(level, rows.count, width, kc, a + rows.lowerBound * lda + p0, lda, panelsOfB, target, ldc,
                                       addend, ldc)
                }
                p0 += kc
            }
        }

        let perThread = ck_packed_size(depth, n)
        if threads > 1 && panels >= threads && (n >= m || m < 16 * threads) {
            // By panels where C is at least as wide as tall: each thread packs the columns it multiplies, so packing is
            // split too and needs no barrier. A taller C is split by rows, so that each thread streams only its
            // share of A (a weight gradient's A, the batch's activations, is the larger operand).
            let split = Parallel.runIfPoolFree(threads) { chunk in
                product(panels: (panels * chunk / threads)..<(panels * (chunk + 1) / threads), rows: 0..<m,
                        scratch: packed.floats + chunk * perThread, packing: true)
            }
            if split { return }
        } else if threads > 1 && m >= 16 {
            // Few columns, many rows: every depth block of B packed once, the rows shared out.
            let blocks = (k + depth - 1) / depth
            let whole = TensorBuffer(byteCount: blocks * perThread * MemoryLayout<Float>.stride)
            for block in 0..<blocks {
                let p0 = block * depth, kc = min(depth, k - p0)
                ck_pack_b_scaled(transposeB ? b + p0 : b + p0 * ldb, ldb, transposeB ? 1 : 0, kc, n, alpha,
                                 whole.floats + block * perThread)
            }
            let chunks = min(threads, m / 8)
            let split = Parallel.runIfPoolFree(chunks) { chunk in
                product(panels: 0..<panels, rows: (m * chunk / chunks)..<(m * (chunk + 1) / chunks), scratch: whole.floats,
                        packing: false)
            }
            withExtendedLifetime(whole) {}
            if split { return }
        }
        product(panels: 0..<panels, rows: 0..<m, scratch: packed.floats, packing: true)
        withExtendedLifetime(packed) {}
    }

    /// Rows of op(B) packed and multiplied at a time: a 256 × 32 slice of a panel is 32 KiB, an L1 cache's worth.
    static let depth = 256

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
