// What one device's tensors hold: bytes in use, the most ever in use, and the limit a device may have (the
// simulated device's CORTEX_SIM_MEMORY_MB). Every storage counts itself in when made and out when freed.
import Synchronization

public final class DeviceMemory: Sendable {
    private let used = Atomic<Int>(0)
    private let highWater = Atomic<Int>(0)
    /// The most bytes the device's tensors may hold at once; nil for no limit but the machine's.
    public let limit: Int?

    init(limit: Int? = nil) { self.limit = limit }

    /// Bytes held by live storages now.
    public var inUse: Int { used.load(ordering: .relaxed) }
    /// The most bytes held at once since the process started.
    public var peak: Int { highWater.load(ordering: .relaxed) }

    /// Counts `bytes` in; false when that takes the device past its limit (the bytes are counted all the same, so
    /// that their release balances).
    func reserve(_ bytes: Int) -> Bool {
        let now = used.add(bytes, ordering: .relaxed).newValue
        var high = highWater.load(ordering: .relaxed)
        while now > high {
            let (exchanged, original) = highWater.compareExchange(expected: high, desired: now, ordering: .relaxed)
            if exchanged { break }
            high = original
        }
        return limit.map { now <= $0 } ?? true
    }

    func release(_ bytes: Int) { used.subtract(bytes, ordering: .relaxed) }
}
