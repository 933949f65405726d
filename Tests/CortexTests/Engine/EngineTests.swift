// The engine below tensors: buffer pooling, strided loops, accurate sums, BLAS.
import Dispatch
import Foundation
import Testing
@testable import CortexEngine

@Suite("Engine")
struct EngineTests {
    @Test func sizeClassesWasteAtMostAQuarter() {
        for bytes in [1, 255, 256, 257, 1000, 4096, 5000, 1 << 20, (1 << 20) + 1, 123_456_789] {
            let c = BufferPool.sizeClass(bytes)
            #expect(c >= bytes)
            #expect(bytes <= 256 || Double(c) <= Double(bytes) * 1.25 + 1, "\(bytes) -> \(c)")
        }
    }

    @Test func freedBuffersAreReused() {
        var address: UnsafeMutableRawPointer?
        do {
            let first = TensorBuffer(byteCount: 40_000)
            address = first.raw
        }
        let second = TensorBuffer(byteCount: 39_000)
        #expect(second.raw == address)
        #expect(Int(bitPattern: second.raw) % 64 == 0)
    }

    @Test func aLongFreeListHandsBlocksOutLastInFirstOutEachOnce() {
        // A private pool: the shared one is used by tests running in parallel.
        let pool = BufferPool()
        let blocks = (0..<2000).map { _ in pool.take(100_000).0 }
        for block in blocks { pool.give(block, capacity: BufferPool.sizeClass(100_000)) }
        #expect(pool.cachedBytes == 2000 * BufferPool.sizeClass(100_000))
        let again = (0..<2000).map { _ in pool.take(100_000).0 }
        #expect(again == Array(blocks.reversed()))
        #expect(pool.cachedBytes == 0)
        for block in again { pool.give(block, capacity: BufferPool.sizeClass(100_000)) }
        pool.trim()
    }

    @Test func overlappingSingleThreadedRegionsLeaveBLASAtTheConfiguredCount() async {
        // In a child process: the thread count is process-wide and other tests use BLAS meanwhile.
        await #expect(processExitsWith: .success) {
            Threads.count = 2
            // Two threads open and close regions that overlap in every possible order; a region that
            // saved and restored the count could leave BLAS stuck at 1.
            let started = DispatchGroup(), go = DispatchSemaphore(value: 0)
            for _ in 0..<2 {
                started.enter()
                Thread.detachNewThread {
                    go.wait()
                    for _ in 0..<200_000 { BLAS.singleThreaded { _ = BLAS.threadCount } }
                    started.leave()
                }
            }
            go.signal()
            go.signal()
            started.wait()
            guard BLAS.threadCount == 2 else {
                FileHandle.standardError.write(Data("BLAS left at \(BLAS.threadCount) threads\n".utf8))
                exit(1)
            }
        }
    }

    @Test func threadsAreSettableInCode() async {
        await #expect(processExitsWith: .success) {
            Threads.count = 1
            guard Parallel.threadCount == 1, BLAS.threadCount == 1 else { exit(1) }
            Threads.count = 3
            guard Parallel.threadCount == 3, BLAS.threadCount == 3, Parallel.chunkCount(100) == 3 else { exit(2) }
        }
    }

    @Test func stridedLoopMergesContiguousAxes() {
        let loop = StridedLoop(shape: [2, 3, 4], strides: [[12, 4, 1], [12, 4, 1]])
        #expect(loop.shape == [24])
        let broadcast = StridedLoop(shape: [2, 3, 4], strides: [[12, 4, 1], [0, 0, 1]])
        #expect(broadcast.shape == [6, 4] && broadcast.strides[1] == [0, 1])
    }

    @Test func pairwiseSumIsAccurate() {
        // 4M × 0.1: a plain running float sum drifts by about 1 % here; blocked pairwise stays near 1 ulp.
        let values = [Float](repeating: 0.1, count: 1 << 22)
        let total = values.withUnsafeBufferPointer { Reduce.sum($0.baseAddress!, count: $0.count) }
        let exact = Double(Float(0.1)) * Double(1 << 22)
        #expect(abs(Double(total) - exact) / exact < 1e-6)
        var naive: Float = 0
        for v in values { naive += v }
        #expect(abs(Double(naive) - exact) / exact > 1e-3)   // the problem the pairwise sum exists to solve
    }

    @Test func sgemmHonoursTransposeFlags() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]          // 2×3
        let b: [Float] = [1, 0, 0, 1, 1, 1]          // stored 2×3, used as its 3×2 transpose
        var c = [Float](repeating: -1, count: 4)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(transposeA: false, transposeB: true, m: 2, n: 2, k: 3, a: pa.baseAddress!, lda: 3,
                               b: pb.baseAddress!, ldb: 3, c: pc.baseAddress!, ldc: 2)
                }
            }
        }
        #expect(c == [1, 6, 4, 15])
    }

    @Test func aLargeProductSplitOverTheThreadsEqualsTheWholeOne() {
        // Both split directions (rows when m ≥ n, columns otherwise), one-row products (split as matrix-vector
        // products by columns), and every transpose combination.
        for (m, n, k) in [(600, 40, 400), (40, 600, 400), (1, 600, 400), (1, 3001, 37)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = (0..<(m * k)).map { Float(($0 * 37) % 101) / 50 - 1 }
                    let b = (0..<(k * n)).map { Float(($0 * 53) % 97) / 48 - 1 }
                    var split = [Float](repeating: 0, count: m * n), whole = split
                    let lda = transposeA ? m : k, ldb = transposeB ? k : n
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            split.withUnsafeMutableBufferPointer { pc in
                                BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: pa.baseAddress!, lda: lda,
                                           b: pb.baseAddress!, ldb: ldb, c: pc.baseAddress!, ldc: n)
                            }
                            whole.withUnsafeMutableBufferPointer { pc in
                                BLAS.singleThreaded {
                                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: pa.baseAddress!,
                                               lda: lda, b: pb.baseAddress!, ldb: ldb, c: pc.baseAddress!, ldc: n)
                                }
                            }
                        }
                    }
                    // Blocks may take OpenBLAS's edge kernels at other places, which round differently: equal to float rounding.
                    let worst = zip(split, whole).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst <= 1e-4, "m \(m) n \(n) k \(k) transposes \(transposeA) \(transposeB): differs by \(worst)")
                }
            }
        }
    }
}
