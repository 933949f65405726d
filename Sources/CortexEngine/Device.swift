// Where a tensor's memory lives and which backend computes on it. Every op runs on the device of
// its inputs; creation functions without inputs use `Device.default`.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A compute device. `cpu` is the host; `simulated` is a discrete device simulated in host memory that
/// only its own copy-in and copy-out reach and that counts every host transfer — the seam a GPU backend
/// plugs into, kept honest by the tests.
public enum Device: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case cpu
    case simulated

    /// The backend that owns this device's memory and kernels.
    public var backend: any Backend {
        switch self {
        case .cpu: CPUBackend.shared
        case .simulated: SimulatedBackend.simulator
        }
    }

    public var description: String { rawValue }

    /// Parses `cpu`, `sim` or `simulated` (the values of `CORTEX_DEVICE`).
    public init?(name: String) {
        switch name.lowercased() {
        case "cpu": self = .cpu
        case "sim", "simulated": self = .simulated
        default: return nil
        }
    }

    private static let current = Atomic<UInt8>(initialDefault())

    /// The device new tensors are made on when no input or argument names one: `CORTEX_DEVICE`
    /// (`cpu` or `sim`) when set, else the CPU. Settable in code.
    public static var `default`: Device {
        get { allCases[Int(current.load(ordering: .relaxed))] }
        set { current.store(UInt8(allCases.firstIndex(of: newValue)!), ordering: .relaxed) }
    }

    private static func initialDefault() -> UInt8 {
        guard let text = getenv("CORTEX_DEVICE").map({ String(cString: $0) }), !text.isEmpty else { return 0 }
        guard let device = Device(name: text) else {
            fatalError("CORTEX_DEVICE is '\(text)'; expected cpu or sim")
        }
        return UInt8(allCases.firstIndex(of: device)!)
    }
}
