// Devices that a backend registers at run time: they are named, found by name, compute through their own backend,
// and a name that no backend has registered is a plain error that lists the devices there are.
import Foundation
import Testing
import Cortex
@testable import CortexEngine

@Suite("Device registry")
struct DeviceRegistryTests {
    @Test func theBuiltInDevicesAnswerToTheirNames() throws {
        #expect(try Device(named: "cpu") == .cpu)
        let sim = try Device(named: "sim"), simulated = try Device(named: "SIMULATED")
        #expect(sim == .simulated && simulated == .simulated)
        #expect(Device.cpu.backend === CPUBackend.shared && Device.simulated.backend === SimulatedBackend.simulator)
        #expect(Array(Device.all.prefix(2)) == [.cpu, .simulated])
    }

    @Test func anAbsentDeviceIsNamedWithThoseThatExist() {
        #expect(throws: DeviceError.self) { try Device(named: "cuda:0") }
        do {
            _ = try Device(named: "cuda:0")
        } catch {
            #expect("\(error)".hasPrefix("there is no device 'cuda:0' in this process; the devices are cpu, simulated"), "\(error)")
        }
    }

    /// A device registered with a backend of its own: tensors made there compute through that backend, move to and
    /// from the CPU, and give the CPU's numbers.
    @Test func aRegisteredDeviceComputesThroughItsBackend() throws {
        let name = "test-host-\(UUID().uuidString.prefix(8))"
        var made: CPUBackend?
        let device = try Device.register(name) { device in
            let backend = CPUBackend(device: device)
            made = backend
            return backend
        }
        #expect(device.name == name && device != .cpu && device != .simulated)
        let found = try Device(named: name)
        #expect(device.backend === made && found == device && Device.all.contains(device))
        #expect(throws: DeviceError.nameTaken(name: name)) { try Device.register(name) { CPUBackend(device: $0) } }
        #expect(throws: DeviceError.nameTaken(name: "sim")) { try Device.register("sim") { CPUBackend(device: $0) } }

        let a = Tensor.randn([5, 3], generator: RandomGenerator(seed: 1)), b = Tensor.randn([3, 4], generator: RandomGenerator(seed: 2))
        let there = relu(a.to(device: device).matmul(b.to(device: device)))
        #expect(there.device == device)
        #expect(there.to(device: .cpu).scalars == relu(a.matmul(b)).scalars)
        // Device.default is left alone: the suite's other tests run beside this one and make tensors on it.
        #expect(Tensor.zeros([2], device: device).device == device)
    }
}
