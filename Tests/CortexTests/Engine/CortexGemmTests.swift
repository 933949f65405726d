// Cortex's own GEMM (PackedGemm), which runs every product where OpenBLAS would use a narrower instruction set
// than the CPU has: every transpose, alpha and beta, one-row products, leading dimensions wider than the
// matrices, on each instruction-set path, against a double-precision reference; and the choice of engine.
import Foundation
import Testing
@testable import CortexEngine

@Suite("Cortex GEMM")
struct CortexGemmTests {
    /// Shapes with partial panels and register blocks, one-row products, a product split over threads by panels
    /// (n ≥ 64) and by rows (n < 32 × threads).
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (1, 37, 19), (1, 300, 200), (2, 3, 5), (9, 33, 17), (64, 10, 300),
                                             (130, 70, 45), (200, 200, 257)]

    @Test(arguments: shapes)
    func matchesTheExactProductWithinItsRoundingBound(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                // The large shape (the one split over threads) on fewer settings: the reference loop is slow in debug.
                let large = m * n * k > 1 << 20
                for (alpha, beta) in large ? [(Float(1), Float(1)), (0.3, 0.7)] : [(1, 0), (1, 1), (0.3, 0.7), (-2, 0)] {
                    for level in large ? [Int32(2)] : [2, 1, 0] {
                        check(m, n, k, transposeA, transposeB, alpha, beta, level)
                    }
                }
            }
        }
    }

    /// C = alpha·op(A)·op(B) + beta·C against the same in double precision. Each result is a k-term dot product
    /// plus the scaled C term; in float32 such a sum is off by at most about (k + 2)·u times the sum of the
    /// absolute terms (u = 2⁻²⁴, the unit round-off), alpha folded into B adding one more rounding. The bound
    /// below is twice that.
    func check(_ m: Int, _ n: Int, _ k: Int, _ transposeA: Bool, _ transposeB: Bool, _ alpha: Float, _ beta: Float, _ level: Int32) {
        // Leading dimensions wider than the matrices, so strides are exercised.
        let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 2, ldc = n + 4
        let a = (0..<((transposeA ? k : m) * lda)).map { PackedGemmTests.value($0, 11) }
        let b = (0..<((transposeB ? n : k) * ldb)).map { PackedGemmTests.value($0, 12) }
        let start = (0..<(m * ldc)).map { PackedGemmTests.value($0, 13) }
        func aAt(_ i: Int, _ p: Int) -> Double { Double(transposeA ? a[p * lda + i] : a[i * lda + p]) }
        func bAt(_ p: Int, _ j: Int) -> Double { Double(transposeB ? b[j * ldb + p] : b[p * ldb + j]) }
        var c = start
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    PackedGemm.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                     a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
                                     c: pc.baseAddress!, ldc: ldc, level: level)
                }
            }
        }
        let u = 0x1p-24
        var worstRatio = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0, magnitude = 0.0
                for p in 0..<k {
                    exact += aAt(i, p) * bAt(p, j)
                    magnitude += abs(aAt(i, p) * bAt(p, j))
                }
                let old = Double(start[i * ldc + j])
                exact = Double(alpha) * exact + Double(beta) * old
                magnitude = abs(Double(alpha)) * magnitude + abs(Double(beta) * old)
                let bound = 2 * Double(k + 3) * u * magnitude + Double(Float.leastNormalMagnitude)
                worstRatio = max(worstRatio, abs(Double(c[i * ldc + j]) - exact) / bound)
            }
            // Columns past n are left alone.
            for j in n..<ldc where c[i * ldc + j] != start[i * ldc + j] {
                Issue.record("m \(m) n \(n) k \(k): column \(j) of row \(i) was written")
            }
        }
        #expect(worstRatio <= 1, "m \(m) n \(n) k \(k) transposes \(transposeA) \(transposeB) alpha \(alpha) beta \(beta) level \(level): \(worstRatio) of the bound")
    }

    @Test func aProductSplitOverThreadsEqualsItOnOneThreadBitForBit() async {
        // Each element is the same k-term sum in the same order whichever thread computes it. Split by panels
        // (300 × 512), by rows with B packed in parallel over three depth blocks (512 × 40 × 600), and one row.
        await #expect(processExitsWith: .success) {
            Threads.count = 4
            for (m, n, k) in [(300, 512, 200), (512, 40, 600), (1, 4096, 64)] {
                let a = (0..<(m * k)).map { PackedGemmTests.value($0, 21) }, b = (0..<(k * n)).map { PackedGemmTests.value($0, 22) }
                for (transposeA, transposeB) in [(false, false), (true, true)] {
                    var split = [Float](repeating: 0, count: m * n), whole = split
                    func product(_ c: inout [Float]) {
                        c.withUnsafeMutableBufferPointer { pc in
                            PackedGemm.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a,
                                             lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: 0, c: pc.baseAddress!, ldc: n)
                        }
                    }
                    product(&split)
                    Parallel.serially { product(&whole) }
                    guard split == whole else { exit(1) }
                }
            }
        }
    }

    @Test func cortexKernelsRunWhereOpenBLASWouldUseANarrowerInstructionSet() {
        // Debian 12's OpenBLAS on an Intel CPU it does not know; told Haswell on an AVX-512 machine; right.
        #expect(BLAS.engine(cpuLevel: 2, openBLASKernel: "Prescott") == .cortex)
        #expect(BLAS.engine(cpuLevel: 2, openBLASKernel: "Haswell") == .cortex)
        #expect(BLAS.engine(cpuLevel: 2, openBLASKernel: "SKYLAKEX") == .openBLAS)
        #expect(BLAS.engine(cpuLevel: 2, openBLASKernel: "Cooperlake") == .openBLAS)
        #expect(BLAS.engine(cpuLevel: 1, openBLASKernel: "Zen") == .openBLAS)
        #expect(BLAS.engine(cpuLevel: 1, openBLASKernel: "Sandybridge") == .cortex)
        #expect(BLAS.engine(cpuLevel: 0, openBLASKernel: "Prescott") == .openBLAS)
        // A debug build's kernels (C at -O0) are slower than any OpenBLAS kernel.
        #expect(BLAS.engine(cpuLevel: 2, openBLASKernel: "Prescott", kernelsOptimized: false) == .openBLAS)
        #expect(BLAS.engineDescription.contains(BLAS.kernelName))
    }
}
