// A restricted Boltzmann machine: binary hidden units joined to every visible unit and to no other
// hidden unit, so each layer given the other is a product of independent units and block Gibbs
// sampling alternates whole layers. It learns by contrastive divergence: the gradient of the data's
// log-likelihood is the data's correlations minus the model's, and a short Gibbs chain stands in for
// the model's. Conventions follow Hinton's "A Practical Guide to Training RBMs" (2010): probabilities,
// not samples, wherever a sample would only add noise to the statistics.
import CortexCore

/// The kind of the visible units.
public enum VisibleUnits: String, Sendable, Codable {
    /// Binary units: p(v = 1 | h) = σ(hW + b). For pixels in [0, 1], read as probabilities.
    case bernoulli
    /// Real units of unit variance: v | h ~ N(hW + b, 1). Standardise the data (zero mean, unit variance) first.
    case gaussian
}

/// The statistics of one contrastive-divergence update, means over the batch.
public struct ContrastiveDivergenceResult {
    /// Squared error between the data and the chain's last visible means, per example (summed over units).
    public var reconstructionError: Double
    /// Mean free energy of the data minus that of the chain's end: grows when the model overfits or the chain
    /// mixes badly, near zero when the model's samples look like the data to it.
    public var freeEnergyGap: Double
}

/// A restricted Boltzmann machine with `visible` and `hidden` units: weight (hidden, visible), as a Linear
/// from visible to hidden, so its rows are the hidden units' filters.
public final class RBM: Module, Layer {
    public let weight: Tensor
    public let visibleBias: Tensor
    public let hiddenBias: Tensor
    public let visibleUnits: VisibleUnits
    /// The random numbers of training (`ContrastiveDivergenceStep`): part of the module, so checkpoints keep its state.
    public let sampler: RandomGenerator
    /// Persistent CD's fantasy particles, (chains, visible): the negative phase's Markov chains, carried from one
    /// update to the next; (0, visible) when the machine trains by plain CD. A buffer, so checkpoints keep it.
    @Buffer public var persistentChain: Tensor

    /// Weights N(0, 0.01²), biases zero (the guide's starting point); `persistentChains` fantasy particles for
    /// persistent CD, started at random states; `seed` makes all of it reproducible.
    public init(visible: Int, hidden: Int, visibleUnits: VisibleUnits = .bernoulli, persistentChains: Int = 0, seed: UInt64 = 0) {
        precondition(visible > 0 && hidden > 0, "RBM: unit counts must be positive, got \(visible) visible and \(hidden) hidden")
        precondition(persistentChains >= 0, "RBM: persistentChains must not be negative, got \(persistentChains)")
        let generator = RandomGenerator(seed: seed)
        weight = Tensor.randn([hidden, visible], std: 0.01, generator: generator).requiringGrad()
        visibleBias = Tensor.zeros([visible]).requiringGrad()
        hiddenBias = Tensor.zeros([hidden]).requiringGrad()
        self.visibleUnits = visibleUnits
        persistentChain = visibleUnits == .bernoulli ? Tensor.bernoulli([persistentChains, visible], probability: 0.5, generator: generator)
                                                      : Tensor.randn([persistentChains, visible], generator: generator)
        sampler = RandomGenerator(seed: seed &+ 0x5DEECE66D)
        super.init()
    }

    /// The hidden units' probabilities p(h = 1 | v): the machine as a feature extractor (a DBN's layer).
    public func callAsFunction(_ input: Tensor) -> Tensor { hiddenProbabilities(input.rank == 2 ? input : input.flattened(from: 1)) }

    public var visibleCount: Int { weight.shape[1] }
    public var hiddenCount: Int { weight.shape[0] }

    private func checkVisible(_ v: Tensor, _ op: String) {
        precondition(v.rank == 2 && v.shape[1] == visibleCount, "RBM.\(op): expected (batch, \(visibleCount)) visible values, got shape \(v.shape)")
    }

    /// p(h = 1 | v) = σ(vWᵀ + c), (batch, hidden).
    public func hiddenProbabilities(_ v: Tensor) -> Tensor {
        checkVisible(v, "hiddenProbabilities")
        return linear(v, weight: weight, bias: hiddenBias).sigmoid()
    }

    /// E[v | h]: σ(hW + b) for binary units, hW + b for Gaussian ones, (batch, visible).
    public func visibleMeans(_ h: Tensor) -> Tensor {
        precondition(h.rank == 2 && h.shape[1] == hiddenCount, "RBM.visibleMeans: expected (batch, \(hiddenCount)) hidden values, got shape \(h.shape)")
        let activation = h.matmul(weight) + visibleBias
        return visibleUnits == .bernoulli ? activation.sigmoid() : activation
    }

    /// The free energy F(v) = −log Σ_h e^{−E(v, h)} of each example, (batch): −v·b − Σ softplus(vWᵀ + c) for
    /// binary units, ½‖v − b‖² − Σ softplus(vWᵀ + c) for Gaussian ones. p(v) ∝ e^{−F(v)}.
    public func freeEnergy(_ v: Tensor) -> Tensor {
        checkVisible(v, "freeEnergy")
        return freeEnergy(v, hiddenInput: linear(v, weight: weight, bias: hiddenBias))
    }

    /// The free energy from `v` and its hidden units' input vWᵀ + c, when that is already at hand.
    private func freeEnergy(_ v: Tensor, hiddenInput: Tensor) -> Tensor {
        let hiddenTerm = softplus(hiddenInput).sum(dim: 1)
        let visibleTerm = visibleUnits == .bernoulli ? -(v * visibleBias).sum(dim: 1) : ((v - visibleBias) * (v - visibleBias)).sum(dim: 1) * 0.5
        return visibleTerm - hiddenTerm
    }

    /// Binary states drawn with the given probabilities, from uniform noise of the same shape.
    static func bernoulliSample(_ probabilities: Tensor, uniform: Tensor) -> Tensor { uniform.lt(probabilities).to(.float32) }

    /// Runs `steps` full Gibbs steps (v → h → v) from `v`; returns the last visible sample (binary units: states;
    /// Gaussian: means plus unit noise). For drawing samples from the model.
    public func gibbs(from v: Tensor, steps: Int, generator: RandomGenerator) -> Tensor {
        checkVisible(v, "gibbs")
        precondition(steps >= 1, "RBM.gibbs: steps must be at least 1, got \(steps)")
        return noGrad {
            var visible = v
            for _ in 0..<steps {
                let hidden = Self.bernoulliSample(hiddenProbabilities(visible), uniform: Tensor.rand([v.shape[0], hiddenCount], generator: generator, device: v.device))
                let means = visibleMeans(hidden)
                visible = visibleUnits == .bernoulli
                    ? Self.bernoulliSample(means, uniform: Tensor.rand(means.shape, generator: generator, device: v.device))
                    : means + Tensor.randn(means.shape, generator: generator, device: v.device)
            }
            return visible
        }
    }

    /// One contrastive-divergence update's gradients, written to the parameters' `grad` (replacing what was there)
    /// for an optimiser to step on — they descend the negative log-likelihood. CD-k runs k Gibbs steps from the
    /// data; with `chain` (persistent CD) the negative phase continues that chain instead, and the chain's new
    /// binary (or noisy Gaussian) visible state is returned for the next update.
    ///
    /// Following the guide: the positive phase uses p(h | v₀); hidden states are sampled to drive the chain (and
    /// visible states between its steps); the negative phase uses the chain's last visible means and p(h | them).
    /// The result's reconstruction error is the deterministic one-pass figure of `reconstructionError`.
    @discardableResult
    public func contrastiveDivergence(_ v0: Tensor, k: Int = 1, chain: Tensor? = nil, generator: RandomGenerator)
        -> (result: ContrastiveDivergenceResult, chain: Tensor?) {
        contrastiveDivergence(v0, k: k, chain: chain) { Tensor.rand($0, generator: generator, device: v0.device) } noise: {
            Tensor.randn($0, generator: generator, device: v0.device)
        }
    }

    /// The update with its random numbers supplied: `uniform(shape)` for every Bernoulli draw and `noise(shape)`
    /// for every Gaussian one, in the order they are made — so a test can feed a reference's own numbers.
    func contrastiveDivergence(_ v0: Tensor, k: Int, chain: Tensor?, uniform: ([Int]) -> Tensor, noise: ([Int]) -> Tensor)
        -> (result: ContrastiveDivergenceResult, chain: Tensor?) {
        checkVisible(v0, "contrastiveDivergence")
        precondition(k >= 1, "RBM.contrastiveDivergence: k must be at least 1, got \(k)")
        if let chain { checkVisible(chain, "contrastiveDivergence (chain)") }
        let batch = v0.shape[0]
        func sampleVisible(_ means: Tensor) -> Tensor {
            visibleUnits == .bernoulli ? Self.bernoulliSample(means, uniform: uniform(means.shape)) : means + noise(means.shape)
        }
        func sampleHidden(_ probabilities: Tensor) -> Tensor { Self.bernoulliSample(probabilities, uniform: uniform(probabilities.shape)) }
        return noGrad {
            let data = v0.detach()
            // The data's hidden input serves the positive phase, the data's free energy and the reconstruction error.
            let dataHiddenInput = linear(data, weight: weight, bias: hiddenBias)
            let positive = dataHiddenInput.sigmoid()
            // The chain starts from the data's hidden sample (CD) or from the persistent chain's visible state (PCD).
            var h = sampleHidden(chain.map { hiddenProbabilities($0) } ?? positive)
            var means = visibleMeans(h)
            for _ in 1..<k {
                h = sampleHidden(hiddenProbabilities(sampleVisible(means)))
                means = visibleMeans(h)
            }
            let negative = hiddenProbabilities(means)
            let (chainCount, dataCount) = (Float(means.shape[0]), Float(batch))
            // −(⟨h vᵀ⟩_data − ⟨h vᵀ⟩_model), and likewise for the biases.
            weight.grad = negative.transposed().matmul(means) / chainCount - positive.transposed().matmul(data) / dataCount
            visibleBias.grad = means.mean(dim: 0) - data.mean(dim: 0)
            hiddenBias.grad = negative.mean(dim: 0) - positive.mean(dim: 0)
            let nextChain = chain == nil ? nil : sampleVisible(means)
            let gap = freeEnergy(data, hiddenInput: dataHiddenInput).mean() - freeEnergy(means).mean()
            let values = Tensor.stack([reconstructionErrorTensor(data, hidden: positive), gap]).scalars
            return (ContrastiveDivergenceResult(reconstructionError: Double(values[0]), freeEnergyGap: Double(values[1])), nextChain)
        }
    }

    /// ‖v − E[v | h]‖² per example with h ~ p(h | v) replaced by its probabilities (one deterministic up-down pass);
    /// `hidden` is p(h | v) when already computed.
    func reconstructionErrorTensor(_ v: Tensor, hidden: Tensor? = nil) -> Tensor {
        let back = visibleMeans(hidden ?? hiddenProbabilities(v))
        return ((v - back) * (v - back)).sum(dim: 1).mean()
    }

    /// Mean squared reconstruction error per example (summed over visible units) after one up-down pass of
    /// probabilities: the figure to watch while training, though not what CD optimises.
    public func reconstructionError(_ v: Tensor) -> Double {
        checkVisible(v, "reconstructionError")
        return Double(noGrad { reconstructionErrorTensor(v.detach()) }.item())
    }

    /// Stochastic pseudo-log-likelihood per example for binary units: D · log σ(F(ṽ) − F(v)), ṽ being v with one
    /// randomly chosen unit flipped — an unbiased estimate of Σ_i log p(v_i | v_rest) (Besag), as scikit-learn's
    /// BernoulliRBM.score_samples. Values in [0, 1] (pixel intensities) are binarised at 0.5 first, since the
    /// measure is defined on binary states. Higher is better.
    public func pseudoLikelihood(_ v: Tensor, generator: RandomGenerator) -> Double {
        checkVisible(v, "pseudoLikelihood")
        precondition(visibleUnits == .bernoulli, "RBM.pseudoLikelihood: defined for binary visible units")
        return noGrad {
            let data = v.detach().gt(0.5).to(.float32)
            let (batch, count) = (data.shape[0], visibleCount)
            let mask = oneHotRows(Tensor.randint(0, count, [batch], generator: generator, device: v.device), classes: count, device: v.device)
            let flipped = data + mask - data * mask * 2
            let margin = freeEnergy(flipped) - freeEnergy(data)
            // log σ(x) = −softplus(−x), stable for margins of either sign.
            return Double((-softplus(-margin) * Float(count)).mean().item())
        }
    }
}
