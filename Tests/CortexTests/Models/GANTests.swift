// The DCGAN: shapes, three whole training steps against PyTorch (Resources/generative/generate_torch.py),
// alternating training through Trainer with two checkpointed optimisers (a resumed run equals an uninterrupted
// one), and a conditional GAN that learns to draw the class it is asked for.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("GAN")
struct GANTests {
    struct StepCase: Decodable {
        struct Networks: Decodable { let generator: [ReferenceArray], discriminator: [ReferenceArray] }
        struct Inputs: Decodable { let images: ReferenceArray, noise: ReferenceArray, labels: [Int]? }
        let name: String, classes: Int?, latent: Int, width: Int, size: Int
        let initial: Networks, steps: [Inputs], values: [[String: Double]], final: Networks, running: Networks
    }

    /// From PyTorch's initial weights, images and noise, GANStep's discriminator and generator updates (both Adam
    /// optimisers, BatchNorm in training mode in both networks) give PyTorch's losses, weights and running
    /// statistics after three steps.
    @Test func threeTrainingStepsMatchPyTorch() {
        let cases = AutoencoderTests.reference.gan
        #expect(cases.count == 2)
        for c in cases {
            let gan = GAN(imageShape: [1, c.size, c.size], latentSize: c.latent, width: c.width, classes: c.classes, seed: 9)
            let networks = [("generator", gan.generator as Module, c.initial.generator, c.final.generator, c.running.generator),
                            ("discriminator", gan.discriminator as Module, c.initial.discriminator, c.final.discriminator, c.running.discriminator)]
            for (_, network, initial, _, _) in networks {
                let parameters = network.parameters()
                #expect(parameters.count == initial.count, "\(c.name): parameter count")
                noGrad { for (p, r) in zip(parameters, initial) { p.assign(r.tensor) } }
            }
            let step = GANStep(gan)
            for (i, (inputs, expected)) in zip(c.steps, c.values).enumerated() {
                let output = step.update(images: inputs.images.tensor, labels: inputs.labels.map { Tensor($0) }, noise: inputs.noise.tensor)
                for (name, value) in expected {
                    let got = output.values[name] ?? .nan
                    #expect(abs(got - value) < 1e-5, "\(c.name), step \(i + 1): \(name) \(got) against \(value)")
                }
            }
            // A bias just before a BatchNorm has a true gradient of zero (the batch mean takes it away), so what
            // both frameworks compute for it is rounding error, which Adam scales up to steps of about ±lr (a little more
            // once bias-corrected moments disagree). Such a bias can only be held to that size, and the running means
            // it feeds to a looser tolerance.
            let learningRate = 2e-4
            for (part, network, initial, final, running) in networks {
                let layers = (network.namedChildren().first!.1 as! Sequential).layers
                let beforeNorm = Set(layers.indices.dropLast().filter { layers[$0 + 1] is BatchNorm }.map { "body.\($0).bias" })
                #expect(beforeNorm.count == (part == "generator" ? 2 : 1))
                for (((name, p), r), start) in zip(zip(network.namedParameters(), final), initial) {
                    if beforeNorm.contains(name) {
                        let moved = zip(p.scalars, start.values).map { abs(Double($0) - $1) }.max()!
                        #expect(moved <= Double(c.steps.count) * learningRate * 1.5, "\(c.name): \(part) \(name) moved \(moved)")
                    } else {
                        AutoencoderTests.expectClose(p, r, "\(c.name): \(part) \(name) after \(c.steps.count) steps", tolerance: 2e-5)
                    }
                }
                let norms = network.modules().compactMap { $0 as? BatchNorm }
                #expect(2 * norms.count == running.count)
                for (j, norm) in norms.enumerated() {
                    AutoencoderTests.expectClose(norm.runningMean, running[2 * j], "\(c.name): \(part) running mean \(j)", tolerance: 1e-3)
                    AutoencoderTests.expectClose(norm.runningVar, running[2 * j + 1], "\(c.name): \(part) running variance \(j)", tolerance: 2e-5)
                }
            }
        }
    }

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
