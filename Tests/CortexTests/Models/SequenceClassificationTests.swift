// Whole-sequence models on padded batches: SequenceDataset pads each batch to its longest sequence, and the
// recurrent and convolutional networks give a sequence the same output alone or padded in a batch.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("Sequence classification")
struct SequenceClassificationTests {
    /// Three sequences of 3, 1 and 4 steps with 2 features: step t of sequence s is (10s + t, −t).
    static func data() -> SequenceDataset {
        let lengths = [3, 1, 4]
        let frames = lengths.enumerated().flatMap { s, n in (0..<n).flatMap { t in [Float(10 * s + t), Float(-t)] } }
        return SequenceDataset(frames: Tensor(frames, shape: [8, 2]), lengths: lengths, targets: Tensor([2, 0, 1]))
    }

    @Test func batchesArePaddedToTheirLongestSequence() {
        let data = Self.data()
        let batch = data.namedBatch(at: [1, 0])
        #expect(batch.input.shape == [2, 3, 2] && batch["lengths"].integers == [1, 3] && batch.target.integers == [0, 2])
        #expect(batch.input.scalars == [10, 0, 0, 0, 0, 0, /* sequence 0 */ 0, 0, 1, -1, 2, -2])
        #expect(data.example(at: 2).input.shape == [4, 2] && data.example(at: 2).input.scalars[6...] == [23, -3])
        let part = data.subset([2, 1])
        #expect(part.lengths == [4, 1] && part.targets.integers == [1, 0] && part.frames.count == 10 && part.frames[8] == 10)
    }

    @Test func paddingDoesNotChangeASequencesOutput() {
        let data = Self.data()
        let models: [any SequenceModel] = [
            SequenceNetwork(inputSize: 2, hiddenSize: 5, outputSize: 3, cell: .gru, layers: 2, bidirectional: true, pooling: .mean, seed: 1),
            SequenceNetwork(inputSize: 2, hiddenSize: 5, outputSize: 3, cell: .lstm, bidirectional: true, pooling: .last, seed: 2),
            ConvSequenceNetwork(inputSize: 2, channels: [4, 4], kernelSize: 3, outputSize: 3, seed: 3),
        ]
        // Convolutions 2·4·3 + 4 and 4·4·3 + 4, two batch norms of 4 scales and shifts, head 4·3 + 3: every block is found.
        #expect(models[2].parameters().reduce(0) { $0 + $1.count } == 28 + 52 + 16 + 15)
        for model in models {
            model.eval()
            let batch = data.namedBatch(at: [0, 1, 2])
            let together = noGrad { model(batch.input, lengths: batch["lengths"]) }.scalars
            for i in 0..<3 {
                let alone = noGrad { model(data.example(at: i).input.unsqueezed(0), lengths: nil) }.scalars
                let padded = Array(together[(3 * i)..<(3 * i + 3)])
                #expect(zip(alone, padded).allSatisfy { abs($0 - $1) < 1e-5 }, "\(type(of: model)) sequence \(i): \(alone) against \(padded)")
            }
        }
    }

    @Test func learnsToTellSequencesApartByTheirShape() throws {
        // Rising sequences are class 1, falling ones class 0, of lengths 3–8.
        let generator = RandomGenerator(seed: 4)
        var frames: [Float] = [], lengths: [Int] = [], labels: [Int] = []
        for i in 0..<96 {
            let n = 3 + Int(generator.next() % 6), rising = i % 2 == 1
            let start = Float(generator.next() % 100) / 100
            for t in 0..<n { frames.append(start + (rising ? 0.3 : -0.3) * Float(t)) }
            lengths.append(n); labels.append(rising ? 1 : 0)
        }
        let data = SequenceDataset(frames: Tensor(frames, shape: [frames.count, 1]), lengths: lengths, targets: Tensor(labels))
        for model in [SequenceNetwork(inputSize: 1, hiddenSize: 8, outputSize: 2, seed: 5) as any SequenceModel,
                      ConvSequenceNetwork(inputSize: 1, channels: [8], kernelSize: 3, outputSize: 2, dropout: 0, seed: 6)] {
            let history = try Trainer(model, step: SequenceClassificationStep(model, Adam(model.parameters(), learningRate: 0.02)))
                .fit(data, validation: data, epochs: 25, batchSize: 16, seed: 7)
            #expect((history.epochs.last?.validationMetric ?? 0) > 0.95, "\(type(of: model)): \(history.epochs.map(\.validationMetric))")
        }
    }
}
