// A variational autoencoder (Kingma & Welling, 2014): the encoder gives each example a Gaussian over codes,
// q(z | x) = N(μ(x), σ²(x)), a code is drawn from it by reparameterisation (z = μ + σ·ε, so gradients reach μ
// and σ), and the decoder gives a distribution over the data. Training maximises the evidence lower bound,
// log p(x) ≥ E_q[log p(x | z)] − KL(q(z | x) ‖ N(0, I)), which also makes the codes of the prior decode to
// plausible data: sampling is decoding z ~ N(0, I). With `classes`, every part also sees the example's label
// (a conditional VAE), so samples can be asked for by class.
import CortexCore

public final class VariationalAutoencoder: Module, Layer {
    /// Flatten, then Linear + ReLU layers: the encoder's shared trunk.
    public let encoder: Sequential
    public let meanHead: Linear
    public let logVarianceHead: Linear
    /// Linear + ReLU layers mirroring the encoder, ending in the data's logits (Bernoulli) or means (Gaussian).
    public let decoder: Sequential
    public let inputShape: [Int]
    public let latentSize: Int
    public let likelihood: DecoderLikelihood
    /// Classes of a conditional VAE (nil: unconditional).
    public let classes: Int?
    /// The reparameterisation's noise: part of the module, so checkpoints keep its state and resume is exact.
    public let sampler: RandomGenerator

    public init(inputShape: [Int], hiddenSizes: [Int] = [512, 256], latentSize: Int = 16, likelihood: DecoderLikelihood = .bernoulli,
                classes: Int? = nil, seed: UInt64 = 0) {
        precondition(!inputShape.isEmpty && inputShape.allSatisfy { $0 > 0 }, "VariationalAutoencoder: invalid input shape \(inputShape)")
        precondition(latentSize > 0 && !hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 }, "VariationalAutoencoder: sizes must be positive")
        if let classes { precondition(classes >= 2, "VariationalAutoencoder: a conditional VAE needs at least 2 classes, got \(classes)") }
        let g = RandomGenerator(seed: seed)
        let features = inputShape.reduce(1, *), label = classes ?? 0
        var down: [any Layer] = []
        var width = features + label
        for size in hiddenSizes {
            down += [Linear(width, size, generator: g), ReLU()] as [any Layer]
            width = size
        }
        encoder = Sequential(down)
        meanHead = Linear(width + label, latentSize, generator: g)
        logVarianceHead = Linear(width + label, latentSize, generator: g)
        var up: [any Layer] = []
        width = latentSize + label
        for size in hiddenSizes.reversed() {
            up += [Linear(width, size, generator: g), ReLU()] as [any Layer]
            width = size
        }
        up.append(Linear(width, features, generator: g))
        decoder = Sequential(up)
        (self.inputShape, self.latentSize, self.likelihood, self.classes) = (inputShape, latentSize, likelihood, classes)
        sampler = RandomGenerator(seed: seed &+ 0x9E37_79B9)
        super.init()
    }

    /// The one-hot rows of `labels` beside `x`'s features (conditional VAE); `x` unchanged otherwise.
    private func conditioned(_ x: Tensor, _ labels: Tensor?, _ op: String) -> Tensor {
        guard let classes else {
            precondition(labels == nil, "VariationalAutoencoder.\(op): labels given to an unconditional VAE")
            return x
        }
        guard let labels else { preconditionFailure("VariationalAutoencoder.\(op): a conditional VAE needs the labels") }
        precondition(labels.shape == [x.shape[0]], "VariationalAutoencoder.\(op): labels \(labels.shape) for a batch of \(x.shape[0])")
        return Tensor.cat([x, oneHotRows(labels, classes: classes, device: x.device)], dim: 1)
    }

    /// q(z | x): the mean and log-variance of each example's code, (batch, latentSize) each.
    public func encode(_ input: Tensor, labels: Tensor? = nil) -> (mean: Tensor, logVariance: Tensor) {
        precondition(Array(input.shape.dropFirst()).reduce(1, *) == inputShape.reduce(1, *),
                     "VariationalAutoencoder.encode: input \(input.shape) does not hold examples of shape \(inputShape)")
        let features = conditioned(encoder(conditioned(input.flattened(from: 1), labels, "encode")), labels, "encode")
        return (meanHead(features), logVarianceHead(features))
    }

    /// The decoder's output for codes, (batch,) + inputShape: logits (Bernoulli) or means (Gaussian).
    public func decodeRaw(_ code: Tensor, labels: Tensor? = nil) -> Tensor {
        precondition(code.rank == 2 && code.shape[1] == latentSize, "VariationalAutoencoder.decode: codes must be (batch, \(latentSize)), got \(code.shape)")
        return decoder(conditioned(code, labels, "decode")).reshaped([code.shape[0]] + inputShape)
    }

    /// The decoded data's means: probabilities in (0, 1) for a Bernoulli decoder.
    public func decode(_ code: Tensor, labels: Tensor? = nil) -> Tensor {
        let raw = decodeRaw(code, labels: labels)
        return likelihood == .bernoulli ? raw.sigmoid() : raw
    }

    /// z = μ + σ·ε with ε ~ N(0, I): a draw from q(z | x) through which gradients reach μ and σ.
    public func reparameterize(mean: Tensor, logVariance: Tensor, generator: RandomGenerator? = nil) -> Tensor {
        mean + (logVariance * 0.5).exp() * Tensor.randn(mean.shape, generator: generator ?? sampler, device: mean.device)
    }

    /// The loss terms of a batch (nats per example), a code drawn once per example.
    public func losses(_ input: Tensor, labels: Tensor? = nil) -> EvidenceLowerBoundTerms {
        let (mean, logVariance) = encode(input, labels: labels)
        let code = reparameterize(mean: mean, logVariance: logVariance)
        return evidenceLowerBoundTerms(decoded: decodeRaw(code, labels: labels), target: input.reshaped([input.shape[0]] + inputShape),
                                       mean: mean, logVariance: logVariance, likelihood: likelihood)
    }

    /// The reconstruction of `input` through its codes' means (no noise).
    public func callAsFunction(_ input: Tensor) -> Tensor { decode(encode(input).mean) }

    /// The reconstruction of labelled input (conditional VAE).
    public func reconstruct(_ input: Tensor, labels: Tensor? = nil) -> Tensor { decode(encode(input, labels: labels).mean, labels: labels) }

    /// `count` samples, codes drawn from the prior N(0, I) and decoded to their means; `labels` (count) for a
    /// conditional VAE.
    public func sample(count: Int, labels: Tensor? = nil, generator: RandomGenerator) -> Tensor {
        precondition(count > 0, "VariationalAutoencoder.sample: count must be positive")
        return noGrad { decode(Tensor.randn([count, latentSize], generator: generator), labels: labels) }
    }

    /// Decodings of `steps` codes evenly spaced on the line from `start`'s code mean to `end`'s (each one example,
    /// batch 1), start and end included: (steps,) + inputShape.
    public func interpolate(from start: Tensor, to end: Tensor, steps: Int, labels: (Tensor, Tensor)? = nil) -> Tensor {
        precondition(steps >= 2, "VariationalAutoencoder.interpolate: steps must be at least 2")
        return noGrad {
            let a = encode(start, labels: labels?.0).mean, b = encode(end, labels: labels?.1).mean
            let weights = Tensor((0..<steps).map { Float($0) / Float(steps - 1) }, shape: [steps, 1], device: a.device)
            let codes = a * (1 - weights) + b * weights
            let stepLabels = labels.map { l in Tensor.cat(Array(repeating: l.0, count: steps), dim: 0) }
            return decode(codes, labels: stepLabels)
        }
    }
}

/// One-hot rows (N, classes) built on `device` from integer labels (N), without reading them to the host.
func oneHotRows(_ labels: Tensor, classes: Int, device: Device) -> Tensor {
    Tensor.arange(0, Float(classes), device: device).reshaped([1, classes]).eq(labels.to(.float32).reshaped([-1, 1])).to(.float32)
}
