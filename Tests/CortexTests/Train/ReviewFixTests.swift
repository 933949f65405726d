// Regression tests for defects a code review found (issue 12, item 7): the shared generator drawn
// from two threads, EarlyStopping swallowing a failed restore, integer labels through float32.
import Foundation
import Testing
@testable import Cortex

/// A layer whose extra tensor a callback can replace, so restoring saved weights must fail.
private final class Reshaping: Module, Layer {
    let linear = Linear(2, 3, generator: RandomGenerator(seed: 1))
    var extra = Tensor.zeros([3])
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
    }
}
