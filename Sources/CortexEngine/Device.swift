// Where a tensor's memory lives and which backend computes on it. Every op runs on the device of its inputs;
// creation functions without inputs use `Device.default`. The CPU and the simulated device are built in; a backend
// loaded at run time (a GPU's) registers its devices by name.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A compute device. `cpu` is the host; `simulated` is a discrete device simulated in host memory that only its own
/// copy-in and copy-out reach and that counts every host transfer, which keeps the seam a GPU backend plugs into
/// honest. Other devices exist once a backend registers them (`register(_:backend:)`).
public struct Device: Sendable, Hashable, CustomStringConvertible {
    /// The name the device answers to: "cpu", "simulated", or the name it was registered under ("cuda:0").
    public let name: String
    /// Its place in the registry; 0 and 1 are the built-in devices.
    let id: Int

    private init(name: String, id: Int) { (self.name, self.id) = (name, id) }

    public static let cpu = Device(name: "cpu", id: 0)
    public static let simulated = Device(name: "simulated", id: 1)

    /// The backend that owns this device's memory and kernels. The built-in devices are found without a lock,
    /// as every op asks; a registered device's lookup takes one, which a GPU's kernel launch dwarfs.
    public var backend: any Backend {
        switch id {
        case 0: CPUBackend.shared
        case 1: SimulatedBackend.simulator
        default: DeviceRegistry.backend(of: self)
        }
    }

    public var description: String { name }

    public static func == (a: Device, b: Device) -> Bool { a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// Every device of this process: the built-in ones, then those registered, in order.
    public static var all: [Device] {
        let registered: [Device] = DeviceRegistry.registered.withLock { $0.map(\.device) }
        return [Device.cpu, Device.simulated] + registered
    }

    /// The device called `name`: `cpu`, `sim` or `simulated` (the values of `CORTEX_DEVICE`), or a registered
    /// name. A name no backend has registered is an error that lists the devices there are.
    public init(named name: String) throws {
        switch name.lowercased() {
        case "cpu": self = .cpu
        case "sim", "simulated": self = .simulated
        default:
            guard let device = DeviceRegistry.registered.withLock({ $0.first { $0.device.name == name }?.device }) else {
                throw DeviceError.notFound(name: name, available: Device.all.map(\.name))
            }
            self = device
        }
    }

    /// Registers a device under `name`, computed by the backend `makeBackend` returns for it (the backend is given
    /// its device, as backends know theirs). A name already taken is an error.
    @discardableResult
    public static func register(_ name: String, backend makeBackend: (Device) -> any Backend) throws -> Device {
        try DeviceRegistry.registered.withLock { entries in
            let taken = ["cpu", "sim", "simulated"] + entries.map(\.device.name)
            guard !name.isEmpty, !taken.contains(name.lowercased()), !taken.contains(name) else {
                throw DeviceError.nameTaken(name: name)
            }
            let device = Device(name: name, id: 2 + entries.count)
            entries.append((device, makeBackend(device)))
            return device
        }
    }

    private static let current = Atomic<Int>(initialDefault())

    /// The device new tensors are made on when no input or argument names one: `CORTEX_DEVICE` (`cpu` or `sim`)
    /// when set, else the CPU. Settable in code.
    public static var `default`: Device {
        get { device(id: current.load(ordering: .relaxed)) }
        set { current.store(newValue.id, ordering: .relaxed) }
    }

    private static func device(id: Int) -> Device {
        switch id {
        case 0: .cpu
        case 1: .simulated
        default: DeviceRegistry.registered.withLock { $0[id - 2].device }
        }
    }

    private static func initialDefault() -> Int {
        guard let text = getenv("CORTEX_DEVICE").map({ String(cString: $0) }), !text.isEmpty else { return 0 }
        // Only the built-in devices exist this early; a registered one is made the default in code.
        switch text.lowercased() {
        case "cpu": return 0
        case "sim", "simulated": return 1
        default: fatalError("CORTEX_DEVICE is '\(text)'; expected cpu or sim")
        }
    }
}

/// Why a device could not be found or registered.
public enum DeviceError: Error, Equatable, CustomStringConvertible {
    case notFound(name: String, available: [String])
    case nameTaken(name: String)
    /// An allocation that would take the device past its memory: the bytes asked for, those in use before, the limit.
    case outOfMemory(device: String, requested: Int, inUse: Int, limit: Int)

    public var isOutOfMemory: Bool {
        if case .outOfMemory = self { true } else { false }
    }

    public var description: String {
        switch self {
        case .notFound(let name, let available):
            "there is no device '\(name)' in this process; the devices are \(available.joined(separator: ", "))"
        case .nameTaken(let name):
            "a device is already called '\(name)'; give the new one another name"
        case .outOfMemory(let device, let requested, let inUse, let limit):
            "out of memory on \(device): \(mebibytes(requested)) asked for with \(mebibytes(inUse)) in use of \(mebibytes(limit))"
        }
    }
}

/// The devices backends registered at run time, with their backends.
enum DeviceRegistry {
    static let registered = Mutex<[(device: Device, backend: any Backend)]>([])

    static func backend(of device: Device) -> any Backend {
        registered.withLock { $0[device.id - 2].backend }
    }
}

/// Bytes as MiB with one decimal ("12.5 MiB").
private func mebibytes(_ bytes: Int) -> String {
    let tenths = (bytes * 10 + (1 << 19)) >> 20
    return "\(tenths / 10).\(tenths % 10) MiB"
}
