// A simulated discrete device. Its memory is host memory, but nothing above the engine can reach it:
// values get in only through `upload` and out only through `download`, and each of those is counted as
// a host transfer. Every operand is checked to be on this device. Running the parity suite and the
// training tests here proves that Cortex's ops go through the backend protocol alone and read nothing
// back to the host inside a step — what a GPU backend will need.
import Synchronization

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

    private init() { super.init(device: .simulated) }

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
