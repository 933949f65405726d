// A value behind a lock, for the engine's shared state (the buffer pool, the worker pool's job, the shared
// generator, transfer counts).
#if canImport(Glibc)
import Glibc
#endif

/// A value reached only under a pthread mutex. Synchronization's `Mutex` would serve as well, but on Linux it
/// waits on futexes directly, which ThreadSanitizer cannot see: every access it guards would be reported as a
/// race, and the real ones would drown among them.
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
