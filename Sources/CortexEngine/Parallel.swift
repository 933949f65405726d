// Parallel-for over the engine's threads, used only above a measured size: below it, waking threads
// costs more than the loop.
import Dispatch

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

    /// Runs `body(0)` … `body(chunks − 1)` in parallel on the engine's worker pool. Inside a serial region (a
    /// chunk of another parallel job, or `serially`) they run in order on this thread. When another thread's
    /// job holds the pool, they run through Dispatch, each chunk as a serial region.
    @usableFromInline static func run(_ chunks: Int, _ body: (Int) -> Void) {
        run(chunks, on: .shared, body)
    }

    static func run(_ chunks: Int, on pool: WorkerPool, _ body: (Int) -> Void) {
        if chunks <= 1 || SerialRegion.isActive {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        if runIfFree(pool, chunks, body) { return }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in SerialRegion.run { box.value(chunk) } }
        }
    }

    /// Runs `body` on the shared pool when this thread may split work and the pool is free; false, having run
    /// nothing, otherwise. For work (a GEMM) that is better run whole on this thread than through Dispatch.
    static func runIfPoolFree(_ chunks: Int, _ body: (Int) -> Void) -> Bool {
        runIfFree(.shared, chunks, body)
    }

    /// `pool` runs the chunks unless this thread is in a serial region or the pool is busy; the shared pool
    /// first grows to the current thread count.
    private static func runIfFree(_ pool: WorkerPool, _ chunks: Int, _ body: (Int) -> Void) -> Bool {
        if chunks <= 1 || SerialRegion.isActive { return false }
        if pool === WorkerPool.shared { pool.ensureWorkers(Threads.count - 1) }
        return pool.run(chunks: chunks, body)
    }

    /// Runs `body` with every GEMM and parallel loop inside it kept on the calling thread. For work the caller
    /// already spreads over the cores itself. Per thread: other threads keep splitting theirs.
    public static func serially<R>(_ body: () throws -> R) rethrows -> R {
        try SerialRegion.run(body)
    }

    /// Whether the calling thread is inside `serially` or a parallel chunk.
    public static var isSerial: Bool { SerialRegion.isActive }
}

extension Parallel {
    /// Runs `body(chunk, range)` for `chunks` contiguous pieces of `0..<count`, one per thread, for
    /// loops that keep per-chunk scratch or partial results (indexed by chunk, never by thread). Each chunk
    /// is a serial region, so its products run on its own core.
    public static func forChunks(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        let chunks = chunkCount(count)
        run(chunks) { chunk in body(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks)) }
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
