// Regression tests for defects a code review found (issue 12, item 7): the shared generator drawn
// from two threads, EarlyStopping swallowing a failed restore, integer labels through float32.
import Foundation
import Testing
@testable import Cortex

/// A layer whose extra tensor a callback can replace, so restoring saved weights must fail. A tensor that
/// is reassigned after init is declared through `@Param`, so the module's (cached) reflection sees the new one.
private final class Reshaping: Module, Layer {
    let linear = Linear(2, 3, generator: RandomGenerator(seed: 1))
    @Param var extra = Tensor.zeros([3])
    func callAsFunction(_ input: Tensor) -> Tensor { linear(input) + extra }
}

private final class ReplaceExtra: Callback {
    let model: Reshaping
    init(_ model: Reshaping) { self.model = model }
    func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        if record.epoch == 1 { model.extra = Tensor.zeros([1]) }
    }
}

@Suite("Review fixes")
struct ReviewFixTests {
    @Test func twoThreadsDrawingFromTheSharedGeneratorNeverRepeatOrSkipANumber() async {
        // In a child process: other tests running in parallel draw from the shared generator too.
        await #expect(processExitsWith: .success) {
            manualSeed(42)
            let draws = 2000, size = 16
            // Each tensor is drawn whole under the lock, so together the two threads consume exactly the
            // generator's first 2 × 2000 × 16 numbers, each once.
            async let a = (0..<draws).map { _ in Tensor.rand([size]).scalars }
            async let b = (0..<draws).map { _ in Tensor.rand([size]).scalars }
            let drawn = (await a + b).flatMap { $0 }.sorted()
            let reference = RandomGenerator(seed: 42)
            let expected = (0..<(2 * draws * size)).map { _ in reference.nextUniform() }.sorted()
            let differing = zip(drawn, expected).filter { $0 != $1 }.count
            if differing > 0 {
                FileHandle.standardError.write(Data("\(differing) of \(drawn.count) draws differ from the sequence\n".utf8))
                exit(1)
            }
        }
    }

    @Test func earlyStoppingReportsWeightsItCannotPutBack() throws {
        let model = Reshaping()
        let trainer = Trainer(model, SGD(model.parameters(), learningRate: 0.1), loss: .crossEntropy)
        let stopper = EarlyStopping(monitor: .trainLoss, patience: 0, minDelta: 10)
        let error = #expect(throws: TrainingError.self) {
            try trainer.fit(blobs(count: 40, seed: 1), epochs: 5, batchSize: 20,
                            callbacks: [stopper, ReplaceExtra(model)])
        }
        #expect(error?.description.contains("could not put back the weights of epoch 1") == true, "\(String(describing: error))")
    }

    @Test func integerLabelsAboveTwoToThe24AreExact() {
        let big: [Int] = [16_777_217, 2_147_483_647, -2_147_483_648, 123_456_789]
        let asInt32 = Tensor(big, dtype: .int32)
        #expect(asInt32.integers == big)
        #expect(asInt32.to(.int64).integers == big)
        #expect(Tensor(big).to(.int32).integers == big)
        #expect(Tensor([300, -1]).to(.uint8).integers == [44, 255])
        #expect(Tensor([0, 5]).to(.bool).integers == [0, 1])
        // Batches pick label rows as bytes, never through float32.
        let data = TensorDataset(inputs: Tensor.zeros([4, 2]), targets: Tensor(big))
        #expect(data.batch(at: [3, 0, 1]).target.integers == [123_456_789, 16_777_217, 2_147_483_647])
    }

    @Test func aResumedRunWithAugmentationEqualsAnUninterruptedOne() throws {
        // 4×4 one-channel "images" of two classes; crops and flips make every epoch different.
        let g = RandomGenerator(seed: 5)
        let images = Tensor.rand([48, 1, 4, 4], generator: g)
        let labels = Tensor((0..<48).map { $0 % 2 })
        let data = TensorDataset(inputs: images + Tensor((0..<48).map { Float($0 % 2) }, shape: [48, 1, 1, 1]), targets: labels)
        func run(epochs: Int, resumeFrom: URL?, saveTo: URL?) throws -> [Float] {
            let model = Sequential { Flatten(); Linear(9, 2, generator: RandomGenerator(seed: 1)) }
            let trainer = Trainer(model, Adam(model.parameters(), learningRate: 0.05), loss: .crossEntropy)
            if let resumeFrom { try trainer.resume(from: resumeFrom) }
            let augment = Compose(RandomCrop(size: 3, padding: 0, seed: 7), RandomHorizontalFlip(seed: 8))
            try trainer.fit(data, epochs: epochs, batchSize: 16, seed: 3, transform: augment,
                            callbacks: saveTo.map { [Checkpointer(directory: $0)] } ?? [])
            return model.parameters().flatMap(\.scalars)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-augment-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let straight = try run(epochs: 4, resumeFrom: nil, saveTo: nil)
        _ = try run(epochs: 2, resumeFrom: nil, saveTo: directory)
        let resumed = try run(epochs: 4, resumeFrom: directory.appendingPathComponent("checkpoint.safetensors"), saveTo: nil)
        #expect(resumed == straight)
        let archive = try SafetensorsArchive(contentsOf: directory.appendingPathComponent("checkpoint.safetensors"))
        #expect(archive.metadata["rng.transform.0.crop"] != nil && archive.metadata["rng.transform.1.flip"] != nil)
    }
}
