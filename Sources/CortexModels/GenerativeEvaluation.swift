// Test-set figures of the generative models, in batches with nothing recorded: what `cortex train` reports and
// what the benchmark compares with PyTorch.
import CortexCore

extension Autoencoding {
    /// Mean squared error of the reconstructions of `images` (batch,) + inputShape, per value.
    public func reconstructionMSE(_ images: Tensor, batchSize: Int = 1000) -> Double {
        let count = images.shape[0]
        let sum = noGrad {
            stride(from: 0, to: count, by: batchSize).map { start -> Double in
                let x = images.sliced(0, start: start, end: min(start + batchSize, count))
                return Double(mseLoss(self(x), x, reduction: .sum).item())
            }.reduce(0, +)
        }
        return sum / Double(images.count)
    }
}

extension VariationalAutoencoder {
    /// Test figures in nats per example — the negative ELBO and its two terms, one code drawn per example from
    /// `generator` — and the mean squared error per value of the reconstruction through the codes' means.
    public func evaluate(_ images: Tensor, labels: Tensor? = nil, generator: RandomGenerator, batchSize: Int = 1000)
        -> (negativeELBO: Double, reconstruction: Double, kl: Double, mse: Double) {
        let count = images.shape[0]
        var sums = (reconstruction: 0.0, kl: 0.0, squaredError: 0.0)
        noGrad {
            for start in stride(from: 0, to: count, by: batchSize) {
                let end = min(start + batchSize, count), x = images.sliced(0, start: start, end: end)
                let batchLabels = labels?.sliced(0, start: start, end: end)
                let (mean, logVariance) = encode(x, labels: batchLabels)
                let code = reparameterize(mean: mean, logVariance: logVariance, generator: generator)
                let terms = evidenceLowerBoundTerms(decoded: decodeRaw(code, labels: batchLabels), target: x.reshaped([end - start] + inputShape),
                                                    mean: mean, logVariance: logVariance, likelihood: likelihood)
                let error = mseLoss(decode(mean, labels: batchLabels), x.reshaped([end - start] + inputShape), reduction: .sum)
                let read = Tensor.stack([terms.reconstruction, terms.kl, error]).scalars.map(Double.init)
                sums.reconstruction += read[0] * Double(end - start)
                sums.kl += read[1] * Double(end - start)
                sums.squaredError += read[2]
            }
        }
        let n = Double(count)
        return ((sums.reconstruction + sums.kl) / n, sums.reconstruction / n, sums.kl / n, sums.squaredError / Double(images.count))
    }
}
