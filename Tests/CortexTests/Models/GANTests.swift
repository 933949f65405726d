// The DCGAN: shapes, alternating training through Trainer with two checkpointed optimisers (a resumed run equals
// an uninterrupted one), and a conditional GAN that learns to draw the class it is asked for.
import Foundation
import Testing
@testable import Cortex
@testable import CortexModels

@Suite("GAN")
struct GANTests {
    @Test func generatesImagesOfTheShapeAndRange() {
        let gan = GAN(imageShape: [1, 28, 28], latentSize: 8, width: 4, seed: 1)
        let images = gan.sample(count: 3, generator: RandomGenerator(seed: 2))
        #expect(images.shape == [3, 1, 28, 28] && images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(gan.training, "sampling puts the model back in the mode it was in")
        #expect(noGrad { gan.discriminate(images * 2 - 1) }.shape == [3])
        let conditional = GAN(imageShape: [3, 8, 12], latentSize: 4, width: 4, classes: 5, seed: 1)
        let labelled = conditional.sample(count: 5, labels: Tensor([0, 1, 2, 3, 4]), generator: RandomGenerator(seed: 2))
        #expect(labelled.shape == [5, 3, 8, 12])
        #expect(noGrad { conditional.discriminate(labelled, labels: Tensor([0, 1, 2, 3, 4])) }.shape == [5])
    }

    @Test func aConditionalGANLearnsTheClassesAndResumesExactly() throws {
        let squares = AutoencoderTests.squares()
        let data = TensorDataset(inputs: squares.inputs, targets: Tensor((0..<128).map { $0 % 4 }))
        func run(epochs: Int, resumeFrom: URL?, saveTo: URL?) throws -> (GAN, Trainer) {
            let gan = GAN(imageShape: [1, 8, 8], latentSize: 8, width: 8, classes: 4, seed: 3)
            let trainer = Trainer(gan, step: GANStep(gan))
            if let resumeFrom { try trainer.resume(from: resumeFrom) }
            try trainer.fit(data, validation: data, epochs: epochs, batchSize: 16, seed: 2, callbacks: saveTo.map { [Checkpointer(directory: $0)] } ?? [])
            return (gan, trainer)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-gan-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (gan, trainer) = try run(epochs: 40, resumeFrom: nil, saveTo: nil)
        _ = try run(epochs: 20, resumeFrom: nil, saveTo: directory)
        let (resumed, _) = try run(epochs: 40, resumeFrom: directory.appendingPathComponent("checkpoint.safetensors"), saveTo: nil)
        #expect(resumed.stateDict().sorted { $0.key < $1.key }.flatMap { $0.value.scalars }
                == gan.stateDict().sorted { $0.key < $1.key }.flatMap { $0.value.scalars })
        let archive = try SafetensorsArchive(contentsOf: directory.appendingPathComponent("checkpoint.safetensors"))
        // The discriminator's optimiser (first by name) is the trainer's main one; the generator's is kept beside it.
        #expect(archive.names.contains { $0.hasPrefix("optimizer.") } && archive.names.contains { $0.hasPrefix("optimizers.generator.") })

        let last = trainer.history.epochs.last!.values!
        #expect(Set(last.keys) == ["d_loss", "g_loss", "d_real", "d_fake"])
        // Asked for class c, the generated square is brightest in c's quadrant.
        let wanted = Tensor((0..<16).map { $0 % 4 })
        let samples = gan.sample(count: 16, labels: wanted, generator: RandomGenerator(seed: 7)).scalars.chunked(64)
        var right = 0
        for (i, image) in samples.enumerated() {
            let quadrants = [(0, 0), (0, 4), (4, 0), (4, 4)].map { (y0, x0) -> Float in
                var sum: Float = 0
                for y in y0..<(y0 + 4) { for x in x0..<(x0 + 4) { sum += image[y * 8 + x] } }
                return sum
            }
            if quadrants.firstIndex(of: quadrants.max()!) == i % 4 { right += 1 }
        }
        // Chance would put 4 of 16 there; a GAN that ignored its labels would too.
        #expect(right >= 12, "\(right) of 16 samples brightest in their class's quadrant")
    }
}
