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
        let packed = TensorBuffer(byteCount: max(1, ck_packed_size(depth, n)) * MemoryLayout<Float>.stride)

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

        let perBlock = ck_packed_size(depth, n)
        // Several chunks a thread, claimed as threads come free: a worker that was parked joins late, and a product
        // cut into exactly one piece per thread would leave the submitter to run the late worker's piece as well.
        let pieces = threads * Self.chunksPerThread
        if threads > 1 && panels >= threads && (n >= m || m < 16 * threads) {
            // By panels where C is at least as wide as tall: each chunk packs the columns it multiplies into its own
            // part of one depth block's packing, so packing is split too and needs no barrier. A taller C is split by
            // rows, so that each thread streams only its share of A (a weight gradient's A, the batch's activations,
            // is the larger operand).
            let chunks = min(panels, pieces)
            let split = Parallel.runIfPoolFree(chunks) { chunk in
                let range = (panels * chunk / chunks)..<(panels * (chunk + 1) / chunks)
                product(panels: range, rows: 0..<m, scratch: packed.floats + range.lowerBound * panelWidth * depth, packing: true)
            }
            if split { return }
        } else if threads > 1 && m >= 16 {
            // Few columns, many rows: every depth block of B packed once (its panels shared out), then the rows.
            let blocks = (k + depth - 1) / depth
            let whole = TensorBuffer(byteCount: blocks * perBlock * MemoryLayout<Float>.stride)
            let packingChunks = min(panels, threads)
            let packedInParallel = Parallel.runIfPoolFree(packingChunks * blocks) { piece in
                let block = piece / packingChunks, chunk = piece % packingChunks
                let p0 = block * depth, kc = min(depth, k - p0)
                let j0 = panels * chunk / packingChunks * panelWidth, j1 = min(n, panels * (chunk + 1) / packingChunks * panelWidth)
                ck_pack_b_scaled(transposeB ? b + j0 * ldb + p0 : b + p0 * ldb + j0, ldb, transposeB ? 1 : 0, kc, j1 - j0, alpha,
                                 whole.floats + block * perBlock + j0 * kc)
            }
            if packedInParallel {
                let chunks = min(pieces, m / 8)
                let split = Parallel.runIfPoolFree(chunks) { chunk in
                    product(panels: 0..<panels, rows: (m * chunk / chunks)..<(m * (chunk + 1) / chunks), scratch: whole.floats,
                            packing: false)
                }
                withExtendedLifetime(whole) {}
                if split { return }
            }
        }
        product(panels: 0..<panels, rows: 0..<m, scratch: packed.floats, packing: true)
        withExtendedLifetime(packed) {}
    }

    /// Chunks a split product is cut into per thread.
    static let chunksPerThread = 4

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
