// The one door to the platform BLAS: row-major single-precision GEMM and its thread control.
import CBLAS
import Dispatch
import Synchronization

public enum BLAS {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major with leading dimensions in elements.
    static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS would leave C as beta·C; spell it out so beta = 0 really means "overwrite".
            for row in 0..<m {
                let line = c + row * ldc
                for column in 0..<n { line[column] = beta == 0 ? 0 : beta * line[column] }
            }
            return
        }
        if m == 1 && !isSingleThreaded && n * k >= rowProductSplitWork && Threads.count > 1 {
            // One row (batch-1 inference): a matrix-vector product, memory-bound on B, so B's columns are split
            // over the threads, each streaming its share from its own cache. OpenBLAS would run it on one core.
            let chunks = min(Threads.count, max(1, n / 16))
            let done = WorkerPool.shared.run(chunks: chunks) { chunk in
                let start = n * chunk / chunks, count = n * (chunk + 1) / chunks - start
                if transposeB {   // B is n × k: y[start ..< start + count] = B[start ..< …, :] · a
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(k), alpha, b + start * ldb, Int32(ldb),
                                a, Int32(transposeA ? lda : 1), beta, c + start, 1)
                } else {          // B is k × n: y = aᵀ · B[:, start ..< start + count]
                    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(count), alpha, b + start, Int32(ldb),
                                a, Int32(transposeA ? lda : 1), beta, c + start, 1)
                }
            }
            if done { return }
        }
        // OpenBLAS always runs on one thread: a large product is split here into row (or column) blocks run by
        // the engine's worker pool. OpenBLAS's own pool would otherwise spin in sched_yield for a long while
        // after each call, against the engine's other workers, for the cores both want.
        let chunks = m * n * k < smallGemmWork || isSingleThreaded ? 1 : min(Threads.count, max(m, n) / 16)
        let split = SplitGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, beta: beta,
                              a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, byRows: m >= n, chunks: chunks)
        if chunks <= 1 || !WorkerPool.shared.run(chunks: chunks, { split.run($0) }) {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// Multiply-adds under which a GEMM is not split over threads (hand-off would cost more than it saves).
    static let smallGemmWork = 1 << 23

    /// Multiply-adds from which a one-row product is split over threads: it is memory-bound, so even a
    /// 256 × 256 weight (a few microseconds) gains from a second core's bandwidth and cache.
    static let rowProductSplitWork = 1 << 16

    /// y = alpha · op(A) · x + beta · y for a row-major m×n matrix A.
    static func sgemv(
        transposeA: Bool, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// The kernel set OpenBLAS runs on this machine ("Cooperlake", "Haswell", …), for benchmark reports.
    public static var kernelName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// The number of threads a GEMM uses right now (1 inside a single-threaded region).
    public static var threadCount: Int { isSingleThreaded ? 1 : Threads.count }

    /// Whether a single-threaded region is open anywhere.
    static var isSingleThreaded: Bool { singleThreadedRegions.withLock { $0 > 0 } }

    /// Open single-threaded regions, counted across all threads, so regions that nest or overlap in any
    /// order leave GEMMs split again only when the last one closes.
    @usableFromInline static let singleThreadedRegions = Mutex(0)

    /// Runs `body` with GEMMs unsplit, on the calling thread: inside a region the engine already parallelises
    /// (a core per chunk), splitting again would only make the chunks wait for each other.
    @inlinable
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        singleThreadedRegions.withLock { $0 += 1 }
        defer { singleThreadedRegions.withLock { $0 -= 1 } }
        return try body()
    }
}
