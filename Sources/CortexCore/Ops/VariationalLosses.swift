// The terms of a variational autoencoder's loss, the negative evidence lower bound: how unlikely the data is
// under the decoder (reconstruction, in nats), and how far the encoder's Gaussian is from the prior N(0, I)
// (KL divergence). Each is summed over an example's features or latent dimensions and averaged over the
// batch, so the figures are nats per example — the unit in which ELBOs are reported.
import CortexEngine

/// The decoder's distribution over the data.
public enum DecoderLikelihood: String, Sendable, Codable {
    /// Independent Bernoulli per feature, the decoder giving logits: for pixels in [0, 1].
    case bernoulli
    /// Independent N(μ, 1) per feature, the decoder giving means: for standardised real data.
    case gaussian
}

/// The loss terms of a batch, each a scalar in nats per example.
public struct EvidenceLowerBoundTerms {
    /// −log p(x | z), summed over features, mean over the batch.
    public var reconstruction: Tensor
    /// KL(q(z | x) ‖ N(0, I)), summed over latent dimensions, mean over the batch.
    public var kl: Tensor

    /// reconstruction + β·KL: the negative ELBO for β = 1; β-VAE weights the KL term otherwise.
    public func loss(beta: Float = 1) -> Tensor { beta == 1 ? reconstruction + kl : reconstruction + kl * beta }
}

/// KL(N(mean, e^logVariance) ‖ N(0, I)) of each example, (batch): −½ Σ (1 + log σ² − μ² − σ²).
public func gaussianKLDivergence(mean: Tensor, logVariance: Tensor) -> Tensor {
    require(mean.shape == logVariance.shape && mean.rank >= 1,
            "gaussian_kl_divergence: mean \(mean.shape) and log-variance \(logVariance.shape) must have the same shape, batch first")
    let perDimension = (logVariance + 1 - mean * mean - logVariance.exp()) * -0.5
    return mean.rank == 1 ? perDimension : perDimension.flattened(from: 1).sum(dim: 1)
}

/// −log p(target | decoded) of each example, (batch), summed over its features: `decoded` holds logits for a
/// Bernoulli decoder, means for a Gaussian one (unit variance, so ½(x − μ)² + ½ log 2π per feature).
public func reconstructionNegativeLogLikelihood(_ decoded: Tensor, _ target: Tensor, likelihood: DecoderLikelihood) -> Tensor {
    require(decoded.shape == target.shape && decoded.rank >= 1,
            "reconstruction_nll: decoded \(decoded.shape) and target \(target.shape) must have the same shape, batch first")
    let perFeature: Tensor
    switch likelihood {
    case .bernoulli:
        perFeature = binaryCrossEntropyWithLogits(decoded, target, reduction: .none)
    case .gaussian:
        let difference = target - decoded
        perFeature = difference * difference * 0.5 + 0.918_938_5   // ½ log 2π
    }
    return decoded.rank == 1 ? perFeature : perFeature.flattened(from: 1).sum(dim: 1)
}

/// Both terms of a VAE's loss for a batch: see `EvidenceLowerBoundTerms`.
public func evidenceLowerBoundTerms(decoded: Tensor, target: Tensor, mean: Tensor, logVariance: Tensor,
                                    likelihood: DecoderLikelihood) -> EvidenceLowerBoundTerms {
    EvidenceLowerBoundTerms(reconstruction: reconstructionNegativeLogLikelihood(decoded, target, likelihood: likelihood).mean(),
                            kl: gaussianKLDivergence(mean: mean, logVariance: logVariance).mean())
}
