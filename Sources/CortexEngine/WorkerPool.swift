// The engine's threads: split GEMMs and every parallel loop run on them. After its chunk a worker polls
// briefly for the next job before it parks, so the many small parallel pieces of a training step (GEMM
// blocks, element-wise chunks, copies) do not each pay a futex wake-up, which through Dispatch cost a
// GPT step about a tenth of its time. OpenBLAS is kept on one thread, so nothing else spins for the cores.
import CBLAS
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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

/// A fixed set of worker threads (one fewer than the cores: the submitting thread runs chunk 0) that run
/// one job at a time, a job being `chunks` calls of one closure.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: max(0, sysconf(Int32(_SC_NPROCESSORS_ONLN)) - 1))

    let workers: Int
    private let generation = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let parkedCount = Atomic<Int>(0)
    private let parked = DispatchSemaphore(value: 0)
    /// Written by the submitter before it publishes a new generation; read by workers after they see it.
    private var job: (Int) -> Void = { _ in }
    private var jobChunks = 0
    /// Polls of the generation, then yields, before a worker parks: a few hundred microseconds, libgomp's default
    /// spin (300,000). Batch-1 inference runs a parallel piece every ~50 µs with serial work between; a worker
    /// that parked sooner paid a futex wake-up for each (CNN batch-1 inference 105 -> 85 µs with the longer spin).
    private let polls = 300_000, yields = 20

    private init(workers: Int) {
        self.workers = workers
        for index in 0..<workers {
            let thread = Thread { [unowned self] in self.work(index + 1) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs `body(0)` … `body(chunks − 1)`, chunk 0 on the caller, and returns when all are done; false (nothing
    /// run) when the pool is busy with another thread's job (or a job this one is inside of) or has too few
    /// workers, and the caller should run the chunks another way.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard chunks > 1, chunks - 1 <= workers,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        withoutActuallyEscaping(body) { body in
            job = body
            jobChunks = chunks
            finished.store(0, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            let sleeping = parkedCount.load(ordering: .acquiring)
            for _ in 0..<min(sleeping, chunks - 1) { parked.signal() }
            body(0)
            while finished.load(ordering: .acquiring) < chunks - 1 {}
            // Every worker has dropped its reference (see `runChunk`): the closure does not outlive this call.
            job = { _ in }
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    private func work(_ index: Int) {
        var seen = 0
        while true {
            var spun = 0
            while generation.load(ordering: .acquiring) == seen {
                spun += 1
                if spun < polls { continue }
                if spun < polls + yields { sched_yield(); continue }
                parkedCount.add(1, ordering: .releasing)
                // Checked again after announcing the park: a job published in between did not signal us.
                if generation.load(ordering: .acquiring) == seen { parked.wait() }
                parkedCount.subtract(1, ordering: .releasing)
                spun = 0
            }
            seen = generation.load(ordering: .acquiring)
            if index < jobChunks {
                runChunk(index)
                finished.add(1, ordering: .releasing)
            }
        }
    }

    /// Its own frame, so the worker's reference to the job's closure is released before it reports the chunk done.
    @inline(never) private func runChunk(_ index: Int) {
        let body = job
        body(index)
    }
}
