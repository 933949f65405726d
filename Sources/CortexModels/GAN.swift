// A deep convolutional GAN (Radford, Metz & Chintala, 2016) for small images: a generator that turns noise into
// an image through transposed convolutions, and a discriminator that tells generated images from real ones.
// They train against each other (`GANStep`): the discriminator to score real images high and generated ones
// low, the generator to make the discriminator score its images high. With `classes`, both also see a label
// (a conditional GAN), so images can be asked for by class.
//
// Images are in [0, 1] outside the model and in [−1, 1] inside it (the generator ends in tanh, as DCGAN's).
import CortexCore

/// Noise (and a label) → (C, H, W) image in [−1, 1]: ConvTranspose2d from 1×1 to (H/4, W/4), then two stride-2
/// ConvTranspose2d doublings, BatchNorm and ReLU between, tanh at the end.
public final class DCGANGenerator: Module, Layer {
    public let body: Sequential
    public let latentSize: Int, classes: Int?

    public init(imageShape: [Int], latentSize: Int, classes: Int?, width: Int, generator g: RandomGenerator) {
        let (c, h, w) = (imageShape[0], imageShape[1], imageShape[2])
        body = Sequential {
            ConvTranspose2d(latentSize + (classes ?? 0), 2 * width, kernelSize: [h / 4, w / 4], generator: g); BatchNorm2d(2 * width); ReLU()
            ConvTranspose2d(2 * width, width, kernelSize: 4, stride: 2, padding: 1, generator: g); BatchNorm2d(width); ReLU()
            ConvTranspose2d(width, c, kernelSize: 4, stride: 2, padding: 1, generator: g); Tanh()
        }
        (self.latentSize, self.classes) = (latentSize, classes)
        super.init()
    }

    /// `input`: (batch, latentSize (+ classes)) noise with the labels' one-hot rows beside it.
    public func callAsFunction(_ input: Tensor) -> Tensor { body(input.reshaped([input.shape[0], input.shape[1], 1, 1])) }
}

/// (C, H, W) image (and a label, as constant planes) → one logit: two stride-2 convolutions with LeakyReLU(0.2),
/// BatchNorm on the second, then a linear layer.
public final class DCGANDiscriminator: Module, Layer {
    public let body: Sequential

    public init(imageShape: [Int], classes: Int?, width: Int, generator g: RandomGenerator) {
        let (c, h, w) = (imageShape[0], imageShape[1], imageShape[2])
        body = Sequential {
            Conv2d(c + (classes ?? 0), width, kernelSize: 4, stride: 2, padding: 1, generator: g); LeakyReLU(negativeSlope: 0.2)
            Conv2d(width, 2 * width, kernelSize: 4, stride: 2, padding: 1, generator: g); BatchNorm2d(2 * width); LeakyReLU(negativeSlope: 0.2)
            Flatten(); Linear(2 * width * (h / 4) * (w / 4), 1, generator: g)
        }
        super.init()
    }

    /// `input`: (batch, C (+ classes), H, W); the logits, (batch).
    public func callAsFunction(_ input: Tensor) -> Tensor { body(input).reshaped([input.shape[0]]) }
}

public final class GAN: Module {
    public let generator: DCGANGenerator
    public let discriminator: DCGANDiscriminator
    public let imageShape: [Int]
    public let latentSize: Int
    public let classes: Int?
    /// The training noise: part of the module, so checkpoints keep its state and resume is exact.
    public let sampler: RandomGenerator

    /// Images of `imageShape` (C, H, W), H and W multiples of 4 (28 × 28 works); `width` channels in the
    /// discriminator's first layer and the generator's last hidden one. Weights N(0, 0.02²) and BatchNorm scales
    /// N(1, 0.02²), as DCGAN's.
    public init(imageShape: [Int] = [1, 28, 28], latentSize: Int = 64, width: Int = 64, classes: Int? = nil, seed: UInt64 = 0) {
        precondition(imageShape.count == 3 && imageShape.allSatisfy { $0 > 0 } && imageShape[1] % 4 == 0 && imageShape[2] % 4 == 0,
                     "GAN: image shape must be (C, H, W) with H and W multiples of 4, got \(imageShape)")
        precondition(latentSize > 0 && width > 0, "GAN: latentSize and width must be positive")
        if let classes { precondition(classes >= 2, "GAN: a conditional GAN needs at least 2 classes, got \(classes)") }
        let g = RandomGenerator(seed: seed)
        generator = DCGANGenerator(imageShape: imageShape, latentSize: latentSize, classes: classes, width: width, generator: g)
        discriminator = DCGANDiscriminator(imageShape: imageShape, classes: classes, width: width, generator: g)
        (self.imageShape, self.latentSize, self.classes) = (imageShape, latentSize, classes)
        sampler = RandomGenerator(seed: seed &+ 0x2545_F491)
        super.init()
        noGrad {
            for module in modules() {
                if let conv = module as? Conv2d { conv.weight.assign(Tensor.randn(conv.weight.shape, std: 0.02, generator: g)) }
                if let conv = module as? ConvTranspose2d { conv.weight.assign(Tensor.randn(conv.weight.shape, std: 0.02, generator: g)) }
                if let norm = module as? BatchNorm2d, let scale = norm.weight { scale.assign(Tensor.randn(scale.shape, mean: 1, std: 0.02, generator: g)) }
            }
        }
    }

    private func checkLabels(_ labels: Tensor?, count: Int, _ op: String) {
        if classes == nil { precondition(labels == nil, "GAN.\(op): labels given to an unconditional GAN") }
        else { precondition(labels?.shape == [count], "GAN.\(op): a conditional GAN needs one label per image (\(count))") }
    }

    /// Generated images in [−1, 1], (count, C, H, W), from `noise` (count, latentSize) and labels.
    public func generate(noise: Tensor, labels: Tensor? = nil) -> Tensor {
        precondition(noise.rank == 2 && noise.shape[1] == latentSize, "GAN.generate: noise must be (count, \(latentSize)), got \(noise.shape)")
        checkLabels(labels, count: noise.shape[0], "generate")
        guard let classes, let labels else { return generator(noise) }
        return generator(Tensor.cat([noise, oneHotRows(labels, classes: classes, device: noise.device)], dim: 1))
    }

    /// The discriminator's logits for images in [−1, 1], (batch).
    public func discriminate(_ images: Tensor, labels: Tensor? = nil) -> Tensor {
        precondition(images.rank == 4 && Array(images.shape.dropFirst()) == imageShape,
                     "GAN.discriminate: images must be (batch, \(imageShape.map(String.init).joined(separator: ", "))), got \(images.shape)")
        checkLabels(labels, count: images.shape[0], "discriminate")
        guard let classes, let labels else { return discriminator(images) }
        let (h, w) = (imageShape[1], imageShape[2])
        let planes = oneHotRows(labels, classes: classes, device: images.device).reshaped([images.shape[0], classes, 1, 1])
            .expanded(to: [images.shape[0], classes, h, w])
        return discriminator(Tensor.cat([images, planes], dim: 1))
    }

    /// `count` images in [0, 1] (evaluation mode, nothing recorded), from `generator`'s noise.
    public func sample(count: Int, labels: Tensor? = nil, generator noiseSource: RandomGenerator) -> Tensor {
        precondition(count > 0, "GAN.sample: count must be positive")
        let wasTraining = training
        eval()
        defer { train(wasTraining) }
        return noGrad { (generate(noise: Tensor.randn([count, latentSize], generator: noiseSource), labels: labels) + 1) * 0.5 }
    }
}

/// One round of GAN training per batch: a discriminator step on real and generated images, then a generator
/// step with the non-saturating loss −log D(G(z)). Two Adam optimisers (named "discriminator" and
/// "generator", both checkpointed). Reports the generator's loss as the loss, and "d_loss", "g_loss", "d_real"
/// and "d_fake" (mean D(x) and D(G(z)) as probabilities). A conditional GAN takes the batch's targets as labels;
/// generated images are given the same labels.
public final class GANStep: TrainingStep {
    public let model: GAN
    public let generatorOptimizer: Optimizer
    public let discriminatorOptimizer: Optimizer

    /// DCGAN's settings by default: Adam with learning rate 2e-4 and β₁ = 0.5 for both.
    public init(_ model: GAN, generatorOptimizer: Optimizer? = nil, discriminatorOptimizer: Optimizer? = nil) {
        self.model = model
        self.generatorOptimizer = generatorOptimizer ?? Adam(model.generator.parameters(), learningRate: 2e-4, betas: (0.5, 0.999))
        self.discriminatorOptimizer = discriminatorOptimizer ?? Adam(model.discriminator.parameters(), learningRate: 2e-4, betas: (0.5, 0.999))
    }

    public var optimizers: [String: Optimizer] { ["generator": generatorOptimizer, "discriminator": discriminatorOptimizer] }

    private func labels(_ batch: Batch) -> Tensor? { model.classes == nil ? nil : batch.target }

    public func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let noise = Tensor.randn([batch.input.shape[0], model.latentSize], generator: model.sampler, device: batch.input.device)
        return update(images: batch.input, labels: labels(batch), noise: noise)
    }

    /// One discriminator step and one generator step on `images` in [0, 1] (with their labels for a conditional
    /// GAN), generating from `noise` (batch, latentSize). `train(on:trainer:)` draws the noise from the model's
    /// sampler; this entry point lets a caller (or a test against another framework) supply it.
    public func update(images: Tensor, labels: Tensor?, noise: Tensor) -> StepOutput {
        let real = images * 2 - 1, count = real.shape[0]
        precondition(noise.shape == [count, model.latentSize], "GANStep.update: noise must be (\(count), \(model.latentSize)), got \(noise.shape)")
        let fake = model.generate(noise: noise, labels: labels)
        let ones = Tensor.ones([count], device: real.device), zeros = Tensor.zeros([count], device: real.device)

        // The discriminator, on real images and on the generated ones held fixed.
        let realLogits = model.discriminate(real, labels: labels), fakeLogits = model.discriminate(fake.detach(), labels: labels)
        let discriminatorLoss = binaryCrossEntropyWithLogits(realLogits, ones) + binaryCrossEntropyWithLogits(fakeLogits, zeros)
        discriminatorOptimizer.zeroGrad()
        discriminatorLoss.backward()
        discriminatorOptimizer.step()

        // The generator, through the updated discriminator: make it call the generated images real.
        let generatorLoss = binaryCrossEntropyWithLogits(model.discriminate(fake, labels: labels), ones)
        generatorOptimizer.zeroGrad()
        generatorLoss.backward()
        generatorOptimizer.step()

        let read = Tensor.stack([discriminatorLoss, generatorLoss, realLogits.sigmoid().mean(), fakeLogits.sigmoid().mean()]).detach().scalars
        let values = ["d_loss": read[0], "g_loss": read[1], "d_real": read[2], "d_fake": read[3]].mapValues(Double.init)
        return StepOutput(loss: values["g_loss"]!, values: values)
    }

    /// Both losses on a batch, nothing changed: the discriminator scores the batch's real images and images
    /// generated from a fixed noise seed.
    public func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        noGrad {
            let real = batch.input * 2 - 1, labels = labels(batch), count = real.shape[0]
            let fake = model.generate(noise: Tensor.randn([count, model.latentSize], generator: RandomGenerator(seed: 0), device: real.device),
                                      labels: labels)
            let ones = Tensor.ones([count], device: real.device), zeros = Tensor.zeros([count], device: real.device)
            let realLogits = model.discriminate(real, labels: labels), fakeLogits = model.discriminate(fake, labels: labels)
            let discriminatorLoss = binaryCrossEntropyWithLogits(realLogits, ones) + binaryCrossEntropyWithLogits(fakeLogits, zeros)
            let generatorLoss = binaryCrossEntropyWithLogits(fakeLogits, ones)
            let read = Tensor.stack([discriminatorLoss, generatorLoss, realLogits.sigmoid().mean(), fakeLogits.sigmoid().mean()]).scalars
            let values = ["d_loss": read[0], "g_loss": read[1], "d_real": read[2], "d_fake": read[3]].mapValues(Double.init)
            return StepOutput(loss: values["g_loss"]!, values: values)
        }
    }
}
