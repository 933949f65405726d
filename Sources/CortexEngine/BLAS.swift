// The one door to GEMM: OpenBLAS or Cortex's own packed kernels, whichever uses this CPU fully, and its thread control.
import CBLAS
import CCortexKernels

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
        if engine == .cortex {
            PackedGemm.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                             b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        if m == 1 && n * k >= rowProductSplitWork && threadCount > 1 {
            // One row (batch-1 inference): a matrix-vector product, memory-bound on B, so B's columns are split
            // over the threads, each streaming its share from its own cache. OpenBLAS would run it on one core.
            let chunks = min(Threads.count, max(1, n / 16))
            let done = Parallel.runIfPoolFree(chunks) { chunk in
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
        let chunks = m * n * k < smallGemmWork ? 1 : min(threadCount, max(m, n) / 16)
        let split = SplitGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, beta: beta,
                              a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, byRows: m >= n, chunks: chunks)
        if !Parallel.runIfPoolFree(chunks, { split.run($0) }) {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// Which GEMM runs products on this machine.
    public enum Engine: String, Sendable {
        /// The platform BLAS (OpenBLAS), where its kernel uses the widest instruction set the CPU has.
        case openBLAS
        /// Cortex's own packed kernels (`PackedGemm`), where OpenBLAS would use a narrower one.
        case cortex
    }

    /// Decided once, from CPUID against the kernel OpenBLAS picked: OpenBLAS where its kernel uses the CPU's
    /// widest instruction set, else Cortex's own. OpenBLAS reads its CPU (or OPENBLAS_CORETYPE) once, when it
    /// loads, and a build that does not know the CPU falls back to SSE3 kernels, a third of the speed; Cortex's
    /// kernels are as fast as OpenBLAS's best on the training shapes (Benchmarks/gemm_kernels.c), so the
    /// mismatch costs nothing. Where OpenBLAS's choice is right, it keeps its edge on shapes Cortex's kernels
    /// do not specialise. In a debug build Cortex's C kernels are compiled without optimisation (about 2 GFLOP/s
    /// against OpenBLAS's 30 even on its SSE3 kernels), so OpenBLAS runs every product there.
    public static let engine: Engine = engine(cpuLevel: Int(ck_cpu_isa_level()), openBLASKernel: kernelName,
                                              kernelsOptimized: ck_kernels_optimized() != 0)

    static func engine(cpuLevel: Int, openBLASKernel: String, kernelsOptimized: Bool = true) -> Engine {
        kernelsOptimized && openBLASLevel(openBLASKernel) < cpuLevel ? .cortex : .openBLAS
    }

    /// The widest instruction set an OpenBLAS kernel set uses, on the ck_cpu_isa_level scale (2 AVX-512, 1 AVX2
    /// and FMA, 0 older). Kernel names are OpenBLAS's DYNAMIC_ARCH core names.
    static func openBLASLevel(_ kernel: String) -> Int {
        switch kernel.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": 2
        case "haswell", "zen", "excavator": 1
        default: 0
        }
    }

    /// The GEMM in use and why, for run and benchmark headers: "Cortex AVX-512 (OpenBLAS would run Prescott)".
    public static var engineDescription: String {
        let isa = ["baseline", "AVX2", "AVX-512"][Int(ck_cpu_isa_level())]
        switch engine {
        case .cortex: return "Cortex \(isa) (OpenBLAS would run \(kernelName))"
        case .openBLAS where ck_kernels_optimized() == 0 && openBLASLevel(kernelName) < Int(ck_cpu_isa_level()):
            return "OpenBLAS \(kernelName) (Cortex's \(isa) kernels are unoptimised in a debug build)"
        case .openBLAS: return "OpenBLAS \(kernelName)"
        }
    }

    /// Multiply-adds under which a GEMM is not split over threads (hand-off would cost more than it saves).
    static let smallGemmWork = 1 << 23

    /// Multiply-adds from which a one-row product is split over threads: it is memory-bound, so even a
    /// 256 × 256 weight (a few microseconds) gains from a second core's bandwidth and cache.
    static let rowProductSplitWork = 1 << 16

    /// The kernel set OpenBLAS runs on this machine ("Cooperlake", "Haswell", …), for benchmark reports.
    public static var kernelName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// The number of threads a GEMM on the calling thread uses right now (1 inside `Parallel.serially` or a
    /// parallel chunk).
    public static var threadCount: Int { Parallel.isSerial ? 1 : Threads.count }

    /// Runs `body` with this thread's GEMMs unsplit: `Parallel.serially`.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        try Parallel.serially(body)
    }
}

/// One product cut into row (or column) blocks.
struct SplitGemm {
    var transposeA = false, transposeB = false
    var m = 0, n = 0, k = 0
    var alpha: Float = 1, beta: Float = 0
    var a: UnsafePointer<Float>?, b: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>?
    var lda = 0, ldb = 0, ldc = 0
    var byRows = true, chunks = 1

    /// Computes block `chunk` of C on one OpenBLAS thread.
    func run(_ chunk: Int) {
        guard let a, let b, let c else { return }
        let total = byRows ? m : n
        let start = total * chunk / chunks, count = total * (chunk + 1) / chunks - start
        let ta = transposeA ? CblasTrans : CblasNoTrans, tb = transposeB ? CblasTrans : CblasNoTrans
        if byRows {
            cblas_sgemm(CblasRowMajor, ta, tb, Int32(count), Int32(n), Int32(k), alpha, transposeA ? a + start : a + start * lda,
                        Int32(lda), b, Int32(ldb), beta, c + start * ldc, Int32(ldc))
        } else {
            cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(count), Int32(k), alpha, a, Int32(lda),
                        transposeB ? b + start * ldb : b + start, Int32(ldb), beta, c + start, Int32(ldc))
        }
    }
}
