// A simulated discrete device. Its memory is host memory, but nothing above the engine can reach it:
// values get in only through `upload` and out only through `download`, and each of those is counted as
// a host transfer. Every operand is checked to be on this device. Running the parity suite and the
// training tests here proves that Cortex's ops go through the backend protocol alone and read nothing
// back to the host inside a step — what a GPU backend will need.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Host↔device traffic: how many copies each way and how many bytes.
public struct TransferCounts: Sendable, Equatable, CustomStringConvertible {
    public var toDevice = 0, toHost = 0
    public var bytesToDevice = 0, bytesToHost = 0
    public init() {}

    mutating func add(toDevice: Bool, bytes: Int) {
        if toDevice { self.toDevice += 1; bytesToDevice += bytes } else { toHost += 1; bytesToHost += bytes }
    }
    public var description: String {
        "\(toDevice) to the device (\(bytesToDevice) bytes), \(toHost) to the host (\(bytesToHost) bytes)"
    }
}

public final class SimulatedBackend: CPUBackend, @unchecked Sendable {
    public static let simulator = SimulatedBackend()

    /// Counts of every transfer in the process.
    private let totals = Locked(TransferCounts())
    /// Counts of the transfers made inside `countingTransfers` on this task.
    @TaskLocal static var recorder: TransferRecorder?

    private convenience init() { self.init(device: .simulated, memoryLimit: Self.environmentMemoryLimit()) }

    /// A simulated device of its own (a test registers one to give it a small memory limit).
    override init(device: Device, memoryLimit: Int? = nil) { super.init(device: device, memoryLimit: memoryLimit) }

    /// CORTEX_SIM_MEMORY_MB: the simulated device's memory, in MiB, for trying out-of-memory paths as a GPU meets them.
    private static func environmentMemoryLimit() -> Int? {
        guard let text = getenv("CORTEX_SIM_MEMORY_MB").map({ String(cString: $0) }), !text.isEmpty else { return nil }
        guard let megabytes = Int(text), megabytes > 0, megabytes <= 1 << 30 else {
            fatalError("CORTEX_SIM_MEMORY_MB is '\(text)'; expected a positive number of MiB")
        }
        return megabytes << 20
    }

    public var transfers: TransferCounts { totals.withLock { $0 } }

    /// Runs `body` and returns the transfers it made on the calling task (transfers of other tests or
    /// threads running meanwhile are not counted).
    public func countingTransfers<R>(_ body: () throws -> R) rethrows -> (result: R, transfers: TransferCounts) {
        let recorder = TransferRecorder()
        let result = try SimulatedBackend.$recorder.withValue(recorder) { try body() }
        return (result, recorder.counts.withLock { $0 })
    }

    private func record(toDevice: Bool, bytes: Int) {
        totals.withLock { $0.add(toDevice: toDevice, bytes: bytes) }
        SimulatedBackend.recorder?.counts.withLock { $0.add(toDevice: toDevice, bytes: bytes) }
    }

    public override func upload<T: BitwiseCopyable>(_ values: [T]) -> Storage {
        record(toDevice: true, bytes: values.count * MemoryLayout<T>.stride)
        return super.upload(values)
    }

    public override func download<T: BitwiseCopyable>(_ source: Operand, as type: T.Type) -> [T] {
        record(toDevice: false, bytes: source.count * MemoryLayout<T>.stride)
        return super.download(source, as: type)
    }
}

/// The transfer counts of one `countingTransfers` scope.
final class TransferRecorder: Sendable {
    let counts = Locked(TransferCounts())
}
