// The device boundary at work: a training step on the simulated device moves nothing to the host but
// the loss the user reads, gives the CPU's numbers, and devices never mix silently.
import CortexEngine
import CortexModels
import Foundation
import Testing
import Cortex
@testable import CortexCore

@Suite("Device boundary")
struct DeviceBoundaryTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A batch of Fashion-MNIST-shaped data (the values do not matter for counting transfers).
    func batch(on device: Device) -> (Tensor, Tensor) {
        let g = RandomGenerator(seed: 3)
        let images = Tensor.rand([64, 1, 28, 28], generator: g, device: .cpu)
        let labels = Tensor.randint(0, 10, [64], generator: g, device: .cpu)
        return (images.to(device: device), labels.to(device: device))
    }

    func models() -> [(String, () -> any Layer)] {
        [("MLP", { Sequential { Flatten(); MLP(inputSize: 784, hiddenSizes: [256, 128], outputSize: 10) } }),
         // No dropout: its mask would come from the shared generator, which other tests draw from meanwhile.
         ("CNN", { SmallConvNet(dropout: 0) })]
    }

    @Test func anAdamStepOfTheMLPAndTheCNNMovesOnlyTheLossToTheHost() {
        let simulator = SimulatedBackend.simulator
        for (name, make) in models() {
            let model = make()
            model.to(device: .simulated)
            let optimizer = Adam(model.parameters(), learningRate: 1e-3)
            let (images, labels) = batch(on: .simulated)
            // The first step creates the optimiser's state, the later ones reuse it: both must stay on the device.
            for step in 0..<3 {
                let (loss, counts) = simulator.countingTransfers { () -> Float in
                    let loss = crossEntropy(model(images), labels)
                    optimizer.zeroGrad()
                    loss.backward()
                    optimizer.step()
                    return loss.item()   // what the progress bar reads
                }
                #expect(loss.isFinite)
                #expect(counts.toDevice == 0, "\(name) step \(step): \(counts)")
                #expect(counts.toHost == 1 && counts.bytesToHost == 4, "\(name) step \(step): \(counts)")
            }
        }
    }

    @Test func theSimulatedDeviceComputesTheCPUsNumbers() async {
        // In a child process: tests running alongside would put BLAS on one thread at times, and a GEMM split
        // differently rounds differently, which Adam amplifies. Alone, the two devices agree bit for bit.
        await #expect(processExitsWith: .success) {
            for (name, make) in DeviceBoundaryTests().models() {
                var finals: [[Float]] = []
                for device in [Device.cpu, .simulated] {
                    let model = make()
                    model.to(device: device)
                    let optimizer = Adam(model.parameters(), learningRate: 1e-3)
                    let (images, labels) = DeviceBoundaryTests().batch(on: device)
                    for _ in 0..<2 {
                        let loss = crossEntropy(model(images), labels)
                        optimizer.zeroGrad()
                        loss.backward()
                        optimizer.step()
                    }
                    guard model.parameters().allSatisfy({ $0.device == device }) else { exit(1) }
                    finals.append(model.parameters().flatMap(\.scalars))
                }
                let differing = zip(finals[0], finals[1]).filter { $0 != $1 }.count
                if finals[0].count != finals[1].count || differing > 0 {
                    FileHandle.standardError.write(Data("\(name): \(differing) weights differ between the devices\n".utf8))
                    exit(2)
                }
            }
        }
    }

    @Test func anOptimiserKeepsWorkingWhenItsModelMovesToAnotherDevice() async {
        // Adam's state is made on the CPU by the first step; the model then moves, and the next steps must move the
        // state after it and train as if the whole run had been on one device (the devices agree bit for bit).
        await #expect(processExitsWith: .success) {
            let (name, make) = DeviceBoundaryTests().models()[0]
            func train(movingAfterFirstStep: Bool) -> (weights: [Float], stateDevices: Set<Device>) {
                let model = make().to(device: .cpu)
                let optimizer = Adam(model.parameters(), learningRate: 1e-3)
                for step in 0..<3 {
                    if step == 1 && movingAfterFirstStep { model.to(device: .simulated) }
                    let device = model.parameters()[0].device
                    let (images, labels) = DeviceBoundaryTests().batch(on: device)
                    let loss = crossEntropy(model(images), labels)
                    optimizer.zeroGrad()
                    loss.backward()
                    optimizer.step()
                }
                return (model.parameters().flatMap(\.scalars), Set(optimizer.state.flatMap { $0.values.map(\.device) }))
            }
            let moved = train(movingAfterFirstStep: true), stayed = train(movingAfterFirstStep: false)
            guard moved.stateDevices == [.simulated] else {
                FileHandle.standardError.write(Data("\(name): optimiser state on \(moved.stateDevices)\n".utf8))
                exit(1)
            }
            guard moved.weights == stayed.weights else { exit(2) }
        }
    }

    @Test func transfersAreCountedBothWays() {
        let (made, up) = SimulatedBackend.simulator.countingTransfers { Tensor([1, 2, 3] as [Float], device: .simulated) }
        #expect(up.toDevice == 1 && up.bytesToDevice == 12 && up.toHost == 0)
        let (values, down) = SimulatedBackend.simulator.countingTransfers { (made * 2).scalars }
        #expect(values == [2, 4, 6])
        #expect(down.toHost == 1 && down.bytesToHost == 12 && down.toDevice == 0)
        // Fills, random fills and arithmetic happen on the device.
        let (_, none) = SimulatedBackend.simulator.countingTransfers {
            _ = Tensor.zeros([4], device: .simulated) + Tensor.randn([4], device: .simulated) * Tensor(2, device: .simulated)
        }
        #expect(none == TransferCounts())
    }

    @Test func movingAModuleKeepsItsOptimiserWorking() {
        let model = Linear(3, 2)
        let optimizer = SGD(model.parameters(), learningRate: 0.1)
        model.to(device: .simulated)
        let loss = model(Tensor([1, 2, 3] as [Float], shape: [1, 3], device: .simulated)).sum()
        loss.backward()
        let before = model.weight.scalars
        optimizer.step()
        #expect(model.weight.device == .simulated)
        #expect(model.weight.scalars != before)
    }

    @Test func mixingDevicesStopsWithBothNamed() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor([1, 2], device: .cpu) + Tensor([1, 2], device: .simulated)
        }
    }

    @Test func nothingAboveTheEngineCrossesTheBoundary() {
        let violations = BoundaryScan.violations(under: Self.repositoryRoot)
        #expect(violations.isEmpty, "\(violations.map(\.description).joined(separator: "\n"))")
    }

    /// An allowance for a file that no longer exists would silently cover whatever file takes its name.
    @Test func everyHostByteFileExists() {
        let missing = BoundaryScan.hostByteFiles.keys.filter {
            !FileManager.default.fileExists(atPath: Self.repositoryRoot.appendingPathComponent($0).path)
        }
        #expect(missing.isEmpty, "allowed but missing: \(missing.sorted())")
    }

    @Test func aPlantedViolationIsFound() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("boundary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let ops = root.appendingPathComponent("Sources/CortexCore/Ops")
        try FileManager.default.createDirectory(at: ops, withIntermediateDirectories: true)
        try """
        import CCortexKernels
        func planted(_ t: Tensor) { let p = UnsafeMutablePointer<Float>.allocate(capacity: 1); p.deallocate() }
        """.write(to: ops.appendingPathComponent("Planted.swift"), atomically: true, encoding: .utf8)
        // Pointer code in a host-byte file is allowed; a C import there is not.
        let data = root.appendingPathComponent("Sources/CortexData")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try "import CBLAS\nlet p: UnsafeRawPointer? = nil\n".write(to: data.appendingPathComponent("IDX.swift"), atomically: true, encoding: .utf8)
        let found = BoundaryScan.violations(under: root).map { "\($0.file):\($0.line)" }.sorted()
        #expect(found == ["Sources/CortexCore/Ops/Planted.swift:1", "Sources/CortexCore/Ops/Planted.swift:2", "Sources/CortexData/IDX.swift:1"])
    }
}
