// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian (mean and
// covariance): ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½). Computed on a classifier's features of real and
// generated images it is the FID of Heusel et al. (2017): lower means the generated images are spread
// through feature space more like the real ones. The trace of the matrix square root is taken as
// Σ √λᵢ over the eigenvalues of Σ₁^½ Σ₂ Σ₁^½ (symmetric, so a Jacobi eigensolver in double precision
// suffices, with no complex detour).

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
    // Σ₁^½ from Σ₁'s eigen-decomposition (negative round-off eigenvalues clipped to 0).
    let (valuesA, vectorsA) = symmetricEigen(covarianceA, d)
    var rootA = [Double](repeating: 0, count: d * d)
    for k in 0..<d {
        let root = max(valuesA[k], 0).squareRoot()
        for i in 0..<d where vectorsA[i * d + k] != 0 {
            let scaled = vectorsA[i * d + k] * root
            for j in 0..<d { rootA[i * d + j] += scaled * vectorsA[j * d + k] }
        }
    }
    let product = multiply(multiply(rootA, covarianceB, d), rootA, d)
    let crossTrace = symmetricEigen(product, d).values.map { max($0, 0).squareRoot() }.reduce(0, +)
    return max(meanTerm + traces - 2 * crossTrace, 0)
}

/// Mean and unbiased covariance (d × d, row-major) of the rows of `x`.
private func gaussianFit(_ x: [[Double]], _ d: Int) -> (mean: [Double], covariance: [Double]) {
    let n = Double(x.count)
    var mean = [Double](repeating: 0, count: d)
    for row in x { for j in 0..<d { mean[j] += row[j] / n } }
    var covariance = [Double](repeating: 0, count: d * d)
    for row in x {
        let centred = (0..<d).map { row[$0] - mean[$0] }
        for i in 0..<d where centred[i] != 0 {
            for j in i..<d { covariance[i * d + j] += centred[i] * centred[j] }
        }
    }
    for i in 0..<d {
        for j in i..<d {
            covariance[i * d + j] /= n - 1
            covariance[j * d + i] = covariance[i * d + j]
        }
    }
    return (mean, covariance)
}

private func multiply(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
    var c = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
        for k in 0..<d where a[i * d + k] != 0 {
            let x = a[i * d + k]
            for j in 0..<d { c[i * d + j] += x * b[k * d + j] }
        }
    }
    return c
}

/// Eigenvalues and eigenvectors (as the columns of a row-major d × d matrix) of a symmetric matrix, by cyclic
/// Jacobi rotations until the off-diagonal part is negligible.
func symmetricEigen(_ matrix: [Double], _ d: Int) -> (values: [Double], vectors: [Double]) {
    var a = matrix
    var v = [Double](repeating: 0, count: d * d)
    for i in 0..<d { v[i * d + i] = 1 }
    let scale = max(a.map(abs).max() ?? 0, .leastNormalMagnitude)
    for _ in 0..<100 {
        var off = 0.0
        for i in 0..<d { for j in (i + 1)..<max(d, i + 1) { off += a[i * d + j] * a[i * d + j] } }
        if off.squareRoot() <= 1e-15 * scale * Double(d) { break }
        for p in 0..<d {
            for q in (p + 1)..<max(d, p + 1) {
                let apq = a[p * d + q]
                guard abs(apq) > 1e-300 else { continue }
                let theta = (a[q * d + q] - a[p * d + p]) / (2 * apq)
                let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<d {   // columns p and q
                    let akp = a[k * d + p], akq = a[k * d + q]
                    a[k * d + p] = c * akp - s * akq
                    a[k * d + q] = s * akp + c * akq
                }
                for k in 0..<d {   // rows p and q
                    let apk = a[p * d + k], aqk = a[q * d + k]
                    a[p * d + k] = c * apk - s * aqk
                    a[q * d + k] = s * apk + c * aqk
                }
                for k in 0..<d {
                    let vkp = v[k * d + p], vkq = v[k * d + q]
                    v[k * d + p] = c * vkp - s * vkq
                    v[k * d + q] = s * vkp + c * vkq
                }
            }
        }
    }
    return ((0..<d).map { a[$0 * d + $0] }, v)
}
