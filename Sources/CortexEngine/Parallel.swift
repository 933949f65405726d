// Parallel-for over the machine's cores, used only above a measured size: below it, waking threads
// costs more than the loop; and the one thread count that both it and BLAS follow.
import CBLAS
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

public enum Parallel {
    /// Threads the engine's own loops use: `Threads.count`.
    @inlinable public static var threadCount: Int { Threads.count }

    /// Element-wise loops below this many elements run on one thread (about 30 µs of work).
    public static let elementwiseGrain = 1 << 16

    /// Splits `0..<count` into contiguous chunks of at least `grain` items and runs `body` on each,
    /// spread over `threadCount` threads. Runs inline when one chunk suffices.
    @inlinable
    public static func forRange(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        let chunks = min(threadCount, count / max(grain, 1))
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        run(chunks) { chunk in body((count * chunk / chunks)..<(count * (chunk + 1) / chunks)) }
    }

    /// Runs `body(0)` … `body(chunks − 1)` in parallel: on the engine's worker pool, or through Dispatch when
    /// the pool is taken (a loop inside another's chunk, another thread's job) or `Threads.count` exceeds the cores.
    @usableFromInline static func run(_ chunks: Int, _ body: (Int) -> Void) {
        if WorkerPool.shared.run(chunks: chunks, body) { return }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { box.value($0) }
        }
    }
}

extension Parallel {
    /// Runs `body(chunk, range)` for `chunks` contiguous pieces of `0..<count`, one per thread, for
    /// loops that keep per-chunk scratch or partial results. GEMMs inside are not split, so each chunk's
    /// products run on its own core.
    public static func forChunks(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        let chunks = max(1, min(threadCount, count))
        if chunks == 1 {
            body(0, 0..<count)
            return
        }
        BLAS.singleThreaded {
            run(chunks) { chunk in body(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks)) }
        }
    }

    /// How many chunks `forChunks` will use for `count` items.
    public static func chunkCount(_ count: Int) -> Int { max(1, min(threadCount, count)) }
}

/// Carries a non-Sendable closure into `concurrentPerform`; safe because each chunk touches a
/// disjoint range and the call returns only after every chunk finished.
@usableFromInline
struct UncheckedBox<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}

/// How many threads Cortex computes with: its own parallel loops and its split GEMMs alike. It starts at
/// `CORTEX_NUM_THREADS` when set, else the number of online cores, and can be changed at any time:
/// `Threads.count = 1` for a server that runs one request per core.
public enum Threads {
    @usableFromInline static let current = Atomic<Int>(initialCount())

    public static var count: Int {
        @inlinable get { current.load(ordering: .relaxed) }
        set {
            precondition(newValue >= 1, "Threads.count must be at least 1, got \(newValue)")
            current.store(newValue, ordering: .relaxed)
        }
    }

    static func initialCount() -> Int {
        let fromEnvironment = getenv("CORTEX_NUM_THREADS").map { String(cString: $0) }.flatMap { Int($0) }
        let count = fromEnvironment.flatMap { $0 > 0 ? $0 : nil } ?? max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        // OpenBLAS starts with its own idea (OPENBLAS_NUM_THREADS or the cores); it is kept at one thread, and
        // large products are split over the engine's threads (see BLAS.sgemm).
        openblas_set_num_threads(1)
        return count
    }
}
