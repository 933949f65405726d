// Autoencoders and the VAE: the VAE's loss terms and ConvTranspose2d in the DCGAN generator's geometries
// against PyTorch (Resources/generative/generate_torch.py), and each model kind learning through Trainer —
// plain, denoising, sparse (L1 and KL), convolutional, variational and conditional — with an exact resume.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("Autoencoders and VAE")
struct AutoencoderTests {
    struct VAECase: Decodable {
        let name: String, likelihood: String, beta: Double
        let target: ReferenceArray, decoded: ReferenceArray, mean: ReferenceArray, log_variance: ReferenceArray
        let reconstruction: Double, kl: Double
        let decoded_grad: ReferenceArray, mean_grad: ReferenceArray, log_variance_grad: ReferenceArray
    }

    struct TransposeCase: Decodable {
        let name: String, stride: Int, padding: Int
        let input: ReferenceArray, weight: ReferenceArray, bias: ReferenceArray, output: ReferenceArray, upstream: ReferenceArray
        let input_grad: ReferenceArray, weight_grad: ReferenceArray, bias_grad: ReferenceArray
    }

    struct Reference: Decodable {
        let vae: [VAECase]
        let conv_transpose: [TransposeCase]
        let gan: [GANTests.StepCase]
    }

    static let reference: Reference = {
        let url = Fixtures.resources.appendingPathComponent("generative/torch_reference.json")
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    static func expectClose(_ a: Tensor?, _ b: ReferenceArray, _ what: String, tolerance: Float = 1e-4) {
        guard let a else { Issue.record("\(what): missing"); return }
        #expect(a.shape == b.shape, "\(what): shape \(a.shape) against \(b.shape)")
        let worst = zip(a.scalars, b.values).map { abs($0 - Float($1)) / max(1, abs(Float($1))) }.max() ?? 0
        #expect(worst <= tolerance, "\(what): off by \(worst)")
    }

    @Test func vaeLossTermsMatchPyTorch() {
        #expect(Self.reference.vae.count == 3)
        for c in Self.reference.vae {
            let decoded = c.decoded.tensor.requiringGrad(), mean = c.mean.tensor.requiringGrad()
            let logVariance = c.log_variance.tensor.requiringGrad()
            let terms = evidenceLowerBoundTerms(decoded: decoded, target: c.target.tensor, mean: mean, logVariance: logVariance,
                                                likelihood: DecoderLikelihood(rawValue: c.likelihood)!)
            #expect(abs(Double(terms.reconstruction.item()) - c.reconstruction) < 1e-4 * max(1, abs(c.reconstruction)), "\(c.name)")
            #expect(abs(Double(terms.kl.item()) - c.kl) < 1e-4 * max(1, abs(c.kl)), "\(c.name)")
            terms.loss(beta: Float(c.beta)).backward()
            Self.expectClose(decoded.grad, c.decoded_grad, "\(c.name): decoded gradient")
            Self.expectClose(mean.grad, c.mean_grad, "\(c.name): mean gradient")
            Self.expectClose(logVariance.grad, c.log_variance_grad, "\(c.name): log-variance gradient")
        }
    }

    @Test func convTransposeInTheGeneratorGeometriesMatchesPyTorch() {
        #expect(Self.reference.conv_transpose.count == 3)
        for c in Self.reference.conv_transpose {
            let x = c.input.tensor.requiringGrad(), w = c.weight.tensor.requiringGrad(), b = c.bias.tensor.requiringGrad()
            let y = convTranspose2d(x, weight: w, bias: b, stride: [c.stride], padding: [c.padding])
            Self.expectClose(y, c.output, "\(c.name): output")
            (y * c.upstream.tensor).sum().backward()
            Self.expectClose(x.grad, c.input_grad, "\(c.name): input gradient")
            Self.expectClose(w.grad, c.weight_grad, "\(c.name): weight gradient")
            Self.expectClose(b.grad, c.bias_grad, "\(c.name): bias gradient")
        }
    }

    /// 128 one-channel 8×8 images: a bright square at one of four places, intensities in [0, 1].
    static func squares(count: Int = 128) -> TensorDataset {
        var pixels = [Float](repeating: 0.05, count: count * 64)
        for i in 0..<count {
            let (y0, x0) = [(0, 0), (0, 4), (4, 0), (4, 4)][i % 4]
            for y in y0..<(y0 + 4) { for x in x0..<(x0 + 4) { pixels[i * 64 + y * 8 + x] = 0.9 } }
        }
        let images = Tensor(pixels, shape: [count, 1, 8, 8])
        return TensorDataset(inputs: images, targets: images)
    }

    static func firstAndLastMSE(_ model: any Autoencoding, sparsity: SparsityPenalty = .none, loss: ReconstructionLoss = .meanSquaredError,
                                transform: (any BatchTransform)? = nil, epochs: Int = 25) throws -> (Double, Double, Trainer) {
        let data = squares()
        let trainer = Trainer(model, step: AutoencoderStep(model, Adam(model.parameters(), learningRate: 3e-3), loss: loss, sparsity: sparsity))
        try trainer.fit(data, validation: data, epochs: epochs, batchSize: 16, seed: 1, transform: transform)
        let mse = trainer.history.epochs.map { $0.validationMetric! }
        return (mse.first!, mse.last!, trainer)
    }

    @Test func autoencodersLearnToRebuildTheirInput() throws {
        let dense = try Self.firstAndLastMSE(Autoencoder(inputShape: [1, 8, 8], hiddenSizes: [32], codeSize: 4, seed: 1))
        #expect(dense.1 < 0.01 && dense.1 < dense.0 / 4, "dense: \(dense.0) → \(dense.1)")
        let convolutional = try Self.firstAndLastMSE(ConvAutoencoder(inputShape: [1, 8, 8], channels: (4, 8), codeSize: 4, seed: 1),
                                                     loss: .binaryCrossEntropy, epochs: 40)
        #expect(convolutional.1 < 0.02 && convolutional.1 < convolutional.0 / 4, "convolutional: \(convolutional.0) → \(convolutional.1)")
        // Denoising: trained on masked inputs, it rebuilds the clean images from masked ones.
        let denoiser = Autoencoder(inputShape: [1, 8, 8], hiddenSizes: [32], codeSize: 4, seed: 1)
        _ = try Self.firstAndLastMSE(denoiser, transform: MaskingNoise(probability: 0.3, seed: 4))
        let clean = Self.squares(count: 8).inputs
        let masked = MaskingNoise(probability: 0.3, seed: 9)(clean)
        let repaired = noGrad { mseLoss(denoiser(masked), clean) }.item(), damage = mseLoss(masked, clean).item()
        #expect(repaired < damage / 4, "masked MSE \(damage), repaired \(repaired)")
    }

    @Test func sparsityPenaltiesShrinkTheCode() throws {
        func meanActivity(_ model: Autoencoder, sigmoid: Bool) -> Float {
            let code = noGrad { model.encode(Self.squares().inputs) }
            return (sigmoid ? code.sigmoid() : code.abs()).mean().item()
        }
        let plain = Autoencoder(inputShape: [1, 8, 8], hiddenSizes: [32], codeSize: 16, seed: 2)
        _ = try Self.firstAndLastMSE(plain, epochs: 15)
        let l1 = Autoencoder(inputShape: [1, 8, 8], hiddenSizes: [32], codeSize: 16, seed: 2)
        let l1Run = try Self.firstAndLastMSE(l1, sparsity: .l1(weight: 0.05), epochs: 15)
        #expect(meanActivity(l1, sigmoid: false) < meanActivity(plain, sigmoid: false) / 2)
        #expect(l1Run.2.history.epochs.last!.values?["sparsity"] != nil)
        let kl = Autoencoder(inputShape: [1, 8, 8], hiddenSizes: [32], codeSize: 16, seed: 2)
        _ = try Self.firstAndLastMSE(kl, sparsity: .kl(target: 0.05, weight: 0.5), epochs: 15)
        #expect(meanActivity(kl, sigmoid: true) < 0.15, "mean σ(code) \(meanActivity(kl, sigmoid: true))")
    }

    @Test func noiseTransformsAreSeededAndBounded() {
        let x = Tensor.rand([4, 1, 8, 8], generator: RandomGenerator(seed: 1))
        let noisy = GaussianNoise(std: 0.5, seed: 3)(x)
        #expect(noisy.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(noisy.scalars == GaussianNoise(std: 0.5, seed: 3)(x).scalars)
        #expect(noisy.scalars != x.scalars)
        let masked = MaskingNoise(probability: 0.25, seed: 3)(Tensor.ones([100, 100])).scalars
        let zeros = Float(masked.filter { $0 == 0 }.count) / 10_000
        #expect(abs(zeros - 0.25) < 0.02 && masked.allSatisfy { $0 == 0 || $0 == 1 })
    }

    @Test(arguments: [false, true])
    func vaeLearnsSamplesAndResumesExactly(conditional: Bool) throws {
        let squares = Self.squares()
        let labels = Tensor((0..<128).map { $0 % 4 })
        let data = TensorDataset(inputs: squares.inputs, targets: labels)
        func run(epochs: Int, resumeFrom: URL?, saveTo: URL?) throws -> (VariationalAutoencoder, Trainer) {
            let vae = VariationalAutoencoder(inputShape: [1, 8, 8], hiddenSizes: [32], latentSize: 2, classes: conditional ? 4 : nil, seed: 3)
            let trainer = Trainer(vae, step: VAEStep(vae, Adam(vae.parameters(), learningRate: 3e-3)))
            if let resumeFrom { try trainer.resume(from: resumeFrom) }
            try trainer.fit(data, validation: data, epochs: epochs, batchSize: 16, seed: 2, callbacks: saveTo.map { [Checkpointer(directory: $0)] } ?? [])
            return (vae, trainer)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-vae-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (vae, trainer) = try run(epochs: 30, resumeFrom: nil, saveTo: nil)
        _ = try run(epochs: 15, resumeFrom: nil, saveTo: directory)
        let (resumed, _) = try run(epochs: 30, resumeFrom: directory.appendingPathComponent("checkpoint.safetensors"), saveTo: nil)
        #expect(resumed.parameters().flatMap(\.scalars) == vae.parameters().flatMap(\.scalars))

        let elbo = trainer.history.epochs.map { $0.validationMetric! }
        #expect(elbo.last! < elbo.first! - 10, "negative ELBO \(elbo.first!) → \(elbo.last!) nats")
        let record = trainer.history.epochs.last!.values!
        #expect(abs(record["negative_elbo"]! - record["reconstruction"]! - record["kl"]!) < 1e-6)

        let wanted = conditional ? Tensor([0, 1, 2, 3, 0, 1, 2, 3]) : nil
        let samples = vae.sample(count: 8, labels: wanted, generator: RandomGenerator(seed: 4))
        #expect(samples.shape == [8, 1, 8, 8] && samples.scalars.allSatisfy { $0 > 0 && $0 < 1 })
        if conditional {
            // Asked for a class, a sample is brightest in that class's quadrant.
            for (i, image) in samples.scalars.chunked(64).enumerated() {
                let (y0, x0) = [(0, 0), (0, 4), (4, 0), (4, 4)][i % 4]
                var inside: Float = 0
                for y in y0..<(y0 + 4) { for x in x0..<(x0 + 4) { inside += image[y * 8 + x] / 16 } }
                let overall: Float = image.reduce(0, +) / 64
                #expect(inside > overall + 0.2, "sample \(i) of class \(i % 4): \(inside) inside, \(overall) overall")
            }
        }
        let ends = (squares.inputs.sliced(0, start: 0, end: 1), squares.inputs.sliced(0, start: 3, end: 4))
        let pathLabels = conditional ? (Tensor([0]), Tensor([0])) : nil
        let path = vae.interpolate(from: ends.0, to: ends.1, steps: 5, labels: pathLabels)
        #expect(path.shape == [5, 1, 8, 8])
        let first = noGrad { vae.reconstruct(ends.0, labels: pathLabels?.0) }
        #expect(path.sliced(0, start: 0, end: 1).allClose(first, rtol: 1e-5, atol: 1e-6))
    }
}
