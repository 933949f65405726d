// The engine's threads: split GEMMs and every parallel loop run on them. A job is an immutable record whose
// chunks are claimed from an atomic counter, so whichever threads are awake, the submitter included, share
// them out, and no chunk waits on one particular sleeping worker. After a job a worker polls briefly for
// the next before it parks, so the many small parallel pieces of a training step (GEMM blocks,
// element-wise chunks, copies) do not each pay a futex wake-up, which through Dispatch cost a GPT step
// about a tenth of its time.
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Worker threads that help submitters run jobs, one job at a time. Chunks are claimed, not assigned:
/// any number of workers, more or fewer than the chunks or the cores, runs every chunk exactly once.
final class WorkerPool: @unchecked Sendable {
    /// The engine's pool. It starts empty and grows to `Threads.count − 1` workers (the submitter is the last
    /// thread) the first time a job wants them; it never shrinks, and idle workers park.
    static let shared = WorkerPool(workers: 0)

    /// One job: `chunks` calls of a closure, each claimed by exactly one thread.
    private final class Job: @unchecked Sendable {
        let chunks: Int
        /// Read only by a thread that claimed a chunk below `chunks`; cleared by the submitter after every
        /// chunk has finished, so no one reads it then, and the closure does not outlive `run`.
        var body: ((Int) -> Void)?
        let claimed = Atomic<Int>(0)
        let finished = Atomic<Int>(0)

        init(chunks: Int, body: @escaping (Int) -> Void) {
            self.chunks = chunks
            self.body = body
        }

        /// Claims and runs chunks until none is left. Each chunk runs as a serial region: a GEMM or parallel
        /// loop inside it stays on this thread, its core already busy with the job.
        func help() {
            while true {
                let chunk = claimed.wrappingAdd(1, ordering: .relaxed).oldValue
                if chunk >= chunks { return }
                runChunk(chunk)
                finished.add(1, ordering: .releasing)
            }
        }

        /// Its own frame, so this thread's reference to the closure is released before the chunk is reported done.
        @inline(never) private func runChunk(_ chunk: Int) {
            let body = self.body.unsafelyUnwrapped
            SerialRegion.run { body(chunk) }
        }
    }

    /// The job in flight, or nil. A worker takes it under the lock and keeps its own reference.
    private let current = Locked<Job?>(nil)
    /// Bumped once per job, after `current` is set: what an idle worker polls.
    private let generation = Atomic<Int>(0)
    /// Held by the one submitter whose job is in flight; others run their chunks another way.
    private let busy = Atomic<Bool>(false)
    private let parkedCount = Atomic<Int>(0)
    private let parked = DispatchSemaphore(value: 0)
    private let started = Atomic<Int>(0)
    private let growing = Locked(())
    /// Polls of the generation, then yields, before a worker parks: a few hundred microseconds by default,
    /// libgomp's spin (300,000). Batch-1 inference runs a parallel piece every ~50 µs with serial work between;
    /// a worker that parked sooner paid a futex wake-up for each (CNN batch-1 inference 105 -> 85 µs).
    private let spinPolls: Int, yields: Int

    /// A pool of `workers` threads. Tests pass a short spin so that workers park within the test.
    init(workers: Int, spinPolls: Int = 300_000, yields: Int = 20) {
        self.spinPolls = spinPolls
        self.yields = yields
        ensureWorkers(workers)
    }

    /// The worker threads started so far.
    var workers: Int { started.load(ordering: .acquiring) }

    /// Starts workers until there are at least `count`.
    func ensureWorkers(_ count: Int) {
        if started.load(ordering: .acquiring) >= count { return }
        growing.withLock { _ in
            while started.load(ordering: .relaxed) < count {
                let thread = Thread { [unowned self] in self.work() }
                thread.stackSize = 1 << 20
                thread.start()
                started.add(1, ordering: .releasing)
            }
        }
    }

    /// Runs `body(0)` … `body(chunks − 1)`, the calling thread taking its share, and returns when all are done.
    /// Returns false, having run nothing, when another job holds the pool (another thread's, or the one this
    /// thread is inside of); the caller then runs the chunks another way.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard chunks > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        withoutActuallyEscaping(body) { body in
            let job = Job(chunks: chunks, body: body)
            current.withLock { $0 = job }
            generation.add(1, ordering: .releasing)
            let sleeping = parkedCount.load(ordering: .acquiring)
            for _ in 0..<min(sleeping, chunks - 1) { parked.signal() }
            job.help()
            // Chunks that other threads claimed may still be running.
            var polls = 0
            while job.finished.load(ordering: .acquiring) < chunks {
                polls += 1
                if polls > spinPolls { sched_yield() }
            }
            current.withLock { $0 = nil }
            job.body = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    private func work() {
        var seen = generation.load(ordering: .acquiring)
        while true {
            var spun = 0
            while generation.load(ordering: .acquiring) == seen {
                spun += 1
                if spun < spinPolls { continue }
                if spun < spinPolls + yields { sched_yield(); continue }
                parkedCount.add(1, ordering: .releasing)
                // Checked again after announcing the park: a job published in between did not signal us. A
                // signal meant for a worker that did not park wakes a later one early, which then polls again.
                if generation.load(ordering: .acquiring) == seen { parked.wait() }
                parkedCount.subtract(1, ordering: .releasing)
                spun = 0
            }
            seen = generation.load(ordering: .acquiring)
            // The job may already be done (nil), or be a newer one than `seen`: either way helping is right.
            let job = current.withLock { $0 }
            job?.help()
        }
    }
}

/// Whether the calling thread is inside a serial region: a chunk of a parallel job, or `Parallel.serially`.
/// Per thread, so one thread's region never changes how another thread's GEMMs and loops are split.
enum SerialRegion {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    static var isActive: Bool { pthread_getspecific(key) != nil }

    static func run<R>(_ body: () throws -> R) rethrows -> R {
        let depth = Int(bitPattern: pthread_getspecific(key))
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: depth + 1))
        defer { pthread_setspecific(key, UnsafeRawPointer(bitPattern: depth)) }
        return try body()
    }
}
