// Parallel-for over the machine's cores, used only above a measured size: below it, waking threads
// costs more than the loop.
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

public enum Parallel {
    /// Threads the engine's own loops use (BLAS keeps its own pool; see `BLAS.withThreads`).
    public static let threadCount: Int = {
        if let text = getenv("CORTEX_NUM_THREADS").map({ String(cString: $0) }), let n = Int(text), n > 0 { return n }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()

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
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                box.value(start..<end)
            }
        }
    }
}

extension Parallel {
    /// Runs `body(chunk, range)` for `chunks` contiguous pieces of `0..<count`, one per thread, for
    /// loops that keep per-chunk scratch or partial results. BLAS is limited to one thread inside,
    /// so each chunk's small GEMMs run on its own core instead of waking BLAS's pool.
    public static func forChunks(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        let chunks = max(1, min(threadCount, count))
        if chunks == 1 {
            body(0, 0..<count)
            return
        }
        BLAS.withThreads(1) {
            withoutActuallyEscaping(body) { body in
                let box = UncheckedBox(body)
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    box.value(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks))
                }
            }
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
