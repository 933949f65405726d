// A device's memory account and its sticky errors: storages count themselves in and out, an allocation past the
// limit is recorded rather than thrown by the op, and the next synchronize() raises it once.
import Foundation
import Testing
import Cortex
@testable import CortexEngine

@Suite("Device memory")
struct DeviceMemoryTests {
    @Test func storagesAreCountedInAndOut() throws {
        let device = try Device.register("memory-test-\(UUID().uuidString.prefix(8))") { SimulatedBackend(device: $0) }
        let memory = device.backend.memory
        #expect(memory.inUse == 0 && memory.limit == nil)
        do {
            let a = Tensor.zeros([256, 1024], device: device)   // 1 MiB
            #expect(memory.inUse == 1 << 20 && a.shape == [256, 1024])
            let b = a + a
            #expect(memory.inUse == 2 << 20 && b.device == device)
        }
        #expect(memory.inUse == 0 && memory.peak == 2 << 20)
    }

    /// Past a 1 MiB limit, the op still returns (ops never throw); synchronize() raises out of memory with the bytes
    /// asked for, in use and the limit, and only once.
    @Test func anAllocationPastTheLimitIsRaisedAtTheNextSynchronize() throws {
        let device = try Device.register("oom-test-\(UUID().uuidString.prefix(8))") { SimulatedBackend(device: $0, memoryLimit: 1 << 20) }
        let a = Tensor.zeros([128, 1024], device: device)       // 0.5 MiB: fits
        try device.backend.synchronize()
        let b = a * 2                                           // another 0.5 MiB: exactly at the limit
        try device.backend.synchronize()
        let c = b + 1                                           // 1.5 MiB: past it
        #expect(c.shape == [128, 1024])
        #expect(throws: DeviceError.outOfMemory(device: device.name, requested: 1 << 19, inUse: 1 << 20, limit: 1 << 20)) {
            try device.backend.synchronize()
        }
        try device.backend.synchronize()
        let message = "\(DeviceError.outOfMemory(device: "sim", requested: 3 << 19, inUse: 1 << 20, limit: 1 << 20))"
        #expect(message == "out of memory on sim: 1.5 MiB asked for with 1.0 MiB in use of 1.0 MiB", "\(message)")
    }

    /// The Trainer raises the device's error after the step that met it, as a training error that suggests a smaller
    /// batch; the checkpoint of the last finished epoch stays loadable.
    @Test func theTrainerStopsOnOutOfMemoryAndKeepsTheLastCheckpoint() throws {
        let device = try Device.register("oom-train-\(UUID().uuidString.prefix(8))") { SimulatedBackend(device: $0, memoryLimit: 64 << 20) }
        let inputs = Tensor.randn([64, 32], generator: RandomGenerator(seed: 0)).to(device: device)
        let targets = Tensor((0..<64).map { $0 % 4 }).to(device: device)
        let model = Sequential { Linear(32, 16); ReLU(); Linear(16, 4) }.to(device: device)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oom-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = Trainer(model, Adam(model.parameters(), learningRate: 1e-2), loss: .crossEntropy)
        try trainer.fit(TensorDataset(inputs: inputs, targets: targets), epochs: 1, batchSize: 16,
                        callbacks: [Checkpointer(directory: folder)])
        // Something else on the device takes all but a few bytes: the next step cannot get its activations.
        let hog = Tensor.zeros([Int(device.backend.memory.limit! - device.backend.memory.inUse) / 4 - 64], device: device)
        do {
            try trainer.fit(TensorDataset(inputs: inputs, targets: targets), epochs: 2, batchSize: 16,
                            callbacks: [Checkpointer(directory: folder)])
            Issue.record("training past the device's memory finished")
        } catch let error as TrainingError {
            guard case .deviceFailed(let epoch, let batch, let deviceError) = error else { Issue.record("\(error)"); return }
            #expect(epoch == 2 && batch == 1 && deviceError.isOutOfMemory)
            #expect("\(error)".contains("try a smaller batch size") && "\(error)".contains("last checkpoint"), "\(error)")
        }
        withExtendedLifetime(hog) {}
        let resumed = Trainer(model, Adam(model.parameters(), learningRate: 1e-2), loss: .crossEntropy)
        try resumed.resume(from: Checkpointer(directory: folder).file)
        #expect(resumed.completedEpochs == 1)
    }
}
