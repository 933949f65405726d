// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian (mean and
// covariance): ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½). Computed on a classifier's features of real and
// generated images it is the FID of Heusel et al. (2017): lower means the generated images are spread
// through feature space more like the real ones. The trace of the matrix square root is taken as
// Σ √λᵢ over the eigenvalues of Σ₁^½ Σ₂ Σ₁^½ (similar to Σ₁Σ₂ and symmetric, so LAPACK's symmetric
// eigensolver in double precision serves, with no complex detour), at the 2048 dimensions of the usual
// Inception features in about a second.
import CortexCore
import CortexEngine

/// The Fréchet distance between the Gaussians fitted to the rows of `a` and of `b` (n × d and m × d, d the
/// feature count; covariances with the unbiased n − 1 divisor, as numpy.cov and the FID reference code).
public func frechetDistance(_ a: [[Double]], _ b: [[Double]]) throws -> Double {
    guard a.count >= 2, b.count >= 2, let d = a.first?.count, d > 0 else {
        throw MetricsError(.emptyInput, "frechet_distance: needs at least two feature vectors in each set")
    }
    guard (a + b).allSatisfy({ $0.count == d }) else {
        throw MetricsError(.invalidShape, "frechet_distance: every feature vector must have \(d) values")
    }
    guard (a + b).allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
        throw MetricsError(.invalidValue, "frechet_distance: features must be finite")
    }
    let (meanA, covarianceA) = gaussianFit(a, d), (meanB, covarianceB) = gaussianFit(b, d)
    let meanTerm = zip(meanA, meanB).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
    let traces = (0..<d).map { covarianceA[$0 * d + $0] + covarianceB[$0 * d + $0] }.reduce(0, +)
    // Σ₁^½ = V diag(√λ) Vᵀ from Σ₁'s eigendecomposition (negative round-off eigenvalues clipped to 0).
    let (valuesA, vectorsA) = try LAPACK.symmetricEigen(covarianceA, d)
    var scaled = vectorsA
    for i in 0..<d { for k in 0..<d { scaled[i * d + k] *= max(valuesA[k], 0).squareRoot() } }
    let rootA = LAPACK.multiply(scaled, vectorsA, m: d, n: d, k: d, transposeB: true)
    let product = LAPACK.multiply(LAPACK.multiply(rootA, covarianceB, m: d, n: d, k: d), rootA, m: d, n: d, k: d)
    let crossTrace = try LAPACK.symmetricEigen(product, d).values.map { max($0, 0).squareRoot() }.reduce(0, +)
    return max(meanTerm + traces - 2 * crossTrace, 0)
}

/// Mean and unbiased covariance (d × d, row-major) of the rows of `x`: Xcᵀ Xc / (n − 1) of the centred rows.
private func gaussianFit(_ x: [[Double]], _ d: Int) -> (mean: [Double], covariance: [Double]) {
    let n = x.count
    var mean = [Double](repeating: 0, count: d)
    for row in x { for j in 0..<d { mean[j] += row[j] } }
    for j in 0..<d { mean[j] /= Double(n) }
    var centred = [Double](repeating: 0, count: n * d)
    for (i, row) in x.enumerated() { for j in 0..<d { centred[i * d + j] = row[j] - mean[j] } }
    var covariance = LAPACK.multiply(centred, centred, m: d, n: d, k: n, transposeA: true)
    for i in 0..<(d * d) { covariance[i] /= Double(n - 1) }
    return (mean, covariance)
}
