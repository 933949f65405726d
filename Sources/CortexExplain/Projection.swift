// Embedding projections: a layer's activations for many examples drawn in two dimensions, so a reader sees
// whether the classes have separated by that layer — PCA (the linear view, with how much variance it keeps) and
// t-SNE (the neighbourhood view). Both start from the examples' Gram matrix, one GEMM on the device, so a
// 3,136-wide layer costs no more than a narrow one.
import CortexCore
import CortexEngine
import Foundation

/// Points in two dimensions, one per example.
public struct Projection2D: Sendable {
    public let points: [(x: Double, y: Double)]
    /// For PCA, the share of the total variance each of the two axes keeps; empty for t-SNE.
    public let explainedVarianceRatio: [Double]
}

/// Two-dimensional maps of a layer's activations.
public enum Projection {
    /// The centred Gram matrix X̃X̃ᵀ (n × n) of `features` (n, …) flattened per example, in Double.
    static func centredGram(_ features: Tensor, _ op: String) -> (gram: [Double], n: Int, centred: Tensor) {
        require(features.rank >= 2 && features.shape[0] >= 3, "\(op): needs (n ≥ 3, features…), got shape \(features.shape)")
        let n = features.shape[0]
        let centred = noGrad { () -> Tensor in
            let x = features.detach().reshaped([n, -1]).to(.float32)
            return x - x.mean(dim: 0, keepDim: true)
        }
        return (noGrad { centred.matmul(centred.transposed()) }.scalars.map { Double($0) }, n, centred)
    }

    /// Principal component analysis to two dimensions: each example's scores on the first two principal axes, as
    /// sklearn.decomposition.PCA(2).fit_transform (up to float32 rounding), with each axis's sign chosen as
    /// scikit-learn's svd_flip does (the component's loading of largest magnitude is positive).
    public static func pca(_ features: Tensor) -> Projection2D {
        let (gram, n, centred) = centredGram(features, "Projection.pca")
        let trace = (0..<n).reduce(0.0) { $0 + gram[$1 * n + $1] }
        var deflated = gram
        var axes: [[Double]] = [], ratios: [Double] = []
        for _ in 0..<2 {
            let (vector, value) = topEigenvector(deflated, n)
            // Scores on a principal axis are u·√λ for the Gram matrix's unit eigenvector u.
            var scores = vector.map { $0 * max(value, 0).squareRoot() }
            // The loadings X̃ᵀu (up to a positive scale), read once, decide the sign.
            let loadings = noGrad { centred.transposed().matmul(Tensor(vector.map { Float($0) }, shape: [n, 1], device: centred.device)) }.scalars
            if let largest = loadings.indices.max(by: { abs(loadings[$0]) < abs(loadings[$1]) }), loadings[largest] < 0 { scores = scores.map { -$0 } }
            axes.append(scores)
            ratios.append(trace > 0 ? max(value, 0) / trace : 0)
            for i in 0..<n { for j in 0..<n { deflated[i * n + j] -= value * vector[i] * vector[j] } }
        }
        return Projection2D(points: (0..<n).map { (axes[0][$0], axes[1][$0]) }, explainedVarianceRatio: ratios)
    }

    /// The dominant eigenvector and eigenvalue of a symmetric positive semi-definite matrix, by power iteration
    /// from a fixed start (deterministic), to a relative change below 1e-10.
    static func topEigenvector(_ m: [Double], _ n: Int) -> (vector: [Double], value: Double) {
        var v = (0..<n).map { 1 + Double($0 % 7) * 0.01 }
        var value = 0.0
        for _ in 0..<2000 {
            var next = EmbeddingKernels.matrixVector(m, v, n: n)
            let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return (v.map { _ in 0 }, 0) }
            next = next.map { $0 / norm }
            let change = zip(next, v).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            (v, value) = (next, norm)
            if change < 1e-20 { break }
        }
        return (v, value)
    }

    /// t-SNE (van der Maaten & Hinton, 2008), exact: Gaussian neighbourhoods of the given `perplexity` in the
    /// features' space, Student-t ones in the plane, their KL divergence minimised by gradient descent with early
    /// exaggeration (12 for 250 iterations), momentum 0.5 then 0.8, adaptive gains, and scikit-learn's "auto"
    /// learning rate; started from the PCA projection scaled to a standard deviation of 1e-4, so the same input gives
    /// the same picture. O(n²) per iteration: meant for up to a few thousand points.
    public static func tsne(_ features: Tensor, perplexity: Double = 30, iterations: Int = 1000) -> Projection2D {
        let (gram, n, _) = centredGram(features, "Projection.tsne")
        require(perplexity > 0 && perplexity < Double(n), "Projection.tsne: perplexity must be in (0, \(n)), got \(perplexity)")
        require(iterations >= 1, "Projection.tsne: iterations must be positive")
        // Squared distances from the Gram matrix: ‖a − b‖² = aa + bb − 2ab.
        var distance = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { distance[i * n + j] = max(gram[i * n + i] + gram[j * n + j] - 2 * gram[i * n + j], 0) } }
        let p = jointProbabilities(distance, n, perplexity: perplexity)

        let start = pca(features).points
        let spread = (start.reduce(0) { $0 + $1.x * $1.x } / Double(n)).squareRoot()
        var y = [Double](repeating: 0, count: 2 * n)
        for i in 0..<n { (y[2 * i], y[2 * i + 1]) = (start[i].x / max(spread, 1e-12) * 1e-4, start[i].y / max(spread, 1e-12) * 1e-4) }
        var velocity = [Double](repeating: 0, count: 2 * n), gains = [Double](repeating: 1, count: 2 * n)
        var gradient = [Double](repeating: 0, count: 2 * n), q = [Double](repeating: 0, count: n * n)
        let exaggeration = 12.0, exaggerated = 250
        let rate = max(Double(n) / exaggeration / 4, 50)
        for iteration in 0..<iterations {
            let boost = iteration < exaggerated ? exaggeration : 1
            let momentum = iteration < exaggerated ? 0.5 : 0.8
            EmbeddingKernels.tsneGradient(y: y, p: p, n: n, exaggeration: boost, affinities: &q, gradient: &gradient)
            for k in 0..<(2 * n) {
                // Delta-bar-delta gains: grow where the step keeps its direction, shrink where it reverses.
                gains[k] = (gradient[k] > 0) != (velocity[k] > 0) ? gains[k] + 0.2 : max(gains[k] * 0.8, 0.01)
                velocity[k] = momentum * velocity[k] - rate * gains[k] * gradient[k]
                y[k] += velocity[k]
            }
        }
        return Projection2D(points: (0..<n).map { (y[2 * $0], y[2 * $0 + 1]) }, explainedVarianceRatio: [])
    }

    /// Symmetric joint probabilities pᵢⱼ = (pⱼ|ᵢ + pᵢ|ⱼ) / 2n, each row's Gaussian width found by bisection so that
    /// its entropy is log(perplexity).
    static func jointProbabilities(_ distance: [Double], _ n: Int, perplexity: Double) -> [Double] {
        var conditional = [Double](repeating: 0, count: n * n)
        let target = log(perplexity)
        for i in 0..<n {
            var (beta, low, high) = (1.0, 0.0, Double.infinity)
            let nearest = (0..<n).filter { $0 != i }.map { distance[i * n + $0] }.min() ?? 0
            for _ in 0..<100 {
                var sum = 0.0, weighted = 0.0
                for j in 0..<n where j != i {
                    // Shifted by the nearest distance so the largest weight is 1 and nothing underflows.
                    let w = exp(-(distance[i * n + j] - nearest) * beta)
                    conditional[i * n + j] = w
                    sum += w; weighted += w * (distance[i * n + j] - nearest)
                }
                let entropy = log(sum) + beta * weighted / sum
                for j in 0..<n where j != i { conditional[i * n + j] /= sum }
                if abs(entropy - target) < 1e-5 { break }
                if entropy > target { low = beta; beta = high.isInfinite ? beta * 2 : (beta + high) / 2 }
                else { high = beta; beta = (beta + low) / 2 }
            }
        }
        var joint = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { joint[i * n + j] = max((conditional[i * n + j] + conditional[j * n + i]) / Double(2 * n), 1e-12) } }
        return joint
    }
}
