// Aligned, pooled memory for tensor data. Freed buffers go back to a size-class cache, so a training
// step that allocates the same activation shapes every iteration stops paying malloc + page faults.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 64-byte aligned block of memory owned by one tensor storage. Returned to the pool on deinit.
final class TensorBuffer: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    /// Bytes the owner asked for; the block may be larger (its size class).
    let byteCount: Int
    let capacity: Int

    /// An uninitialised buffer of at least `byteCount` bytes.
    init(byteCount: Int) {
        require(byteCount >= 0, "TensorBuffer: negative size \(byteCount)")
        let (pointer, capacity) = BufferPool.shared.take(byteCount)
        self.raw = pointer
        self.byteCount = byteCount
        self.capacity = capacity
    }

    /// A buffer whose bytes are all zero.
    convenience init(zeroedByteCount byteCount: Int) {
        self.init(byteCount: byteCount)
        memset(raw, 0, byteCount)
    }

    deinit { BufferPool.shared.give(raw, capacity: capacity) }

    var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
}

/// A process-wide cache of freed blocks keyed by size class. Size classes step by quarters of a power
/// of two, so a cached block wastes at most 25 % and shapes that differ slightly still share blocks.
public final class BufferPool: Sendable {
    public static let shared = BufferPool()

    // Addresses are kept as integers so the lock-protected state is Sendable.
    private struct State {
        var free: [Int: [UInt]] = [:]
        var cachedBytes = 0
    }
    private let state = Locked(State())
    /// Upper bound on bytes kept for reuse; beyond it freed blocks go back to the system.
    public let cacheLimit: Int

    init() {
        if let text = getenv("CORTEX_POOL_MB").map({ String(cString: $0) }), let mb = Int(text) {
            cacheLimit = mb << 20
        } else {
            cacheLimit = 2 << 30
        }
    }

    static func sizeClass(_ bytes: Int) -> Int {
        if bytes <= 256 { return 256 }
        let top = Int.bitWidth - 1 - (bytes - 1).leadingZeroBitCount   // floor(log2(bytes - 1))
        let quarter = 1 << (top - 2)
        return ((bytes + quarter - 1) / quarter) * quarter
    }

    func take(_ bytes: Int) -> (UnsafeMutableRawPointer, Int) {
        let capacity = BufferPool.sizeClass(bytes)
        let cached: UInt? = state.withLock { state in
            // Popped in place: copying the list out and back would copy every cached address per allocation.
            guard let address = state.free[capacity]?.popLast() else { return nil }
            state.cachedBytes -= capacity
            return address
        }
        if let cached, let pointer = UnsafeMutableRawPointer(bitPattern: cached) { return (pointer, capacity) }
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, 64, capacity) == 0, let pointer else {
            fatalError("Cortex: out of memory allocating \(capacity) bytes")
        }
        return (pointer, capacity)
    }

    func give(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        let address = UInt(bitPattern: pointer)
        let limit = cacheLimit
        let kept = state.withLock { state -> Bool in
            guard state.cachedBytes + capacity <= limit else { return false }
            state.free[capacity, default: []].append(address)
            state.cachedBytes += capacity
            return true
        }
        if !kept { free(pointer) }
    }

    /// Returns every cached block to the system (e.g. after a large evaluation pass).
    public func trim() {
        let blocks = state.withLock { state -> [UInt] in
            let all = state.free.values.flatMap { $0 }
            state.free = [:]
            state.cachedBytes = 0
            return all
        }
        blocks.forEach { free(UnsafeMutableRawPointer(bitPattern: $0)) }
    }

    /// Bytes currently cached for reuse.
    public var cachedBytes: Int { state.withLock { $0.cachedBytes } }
}
