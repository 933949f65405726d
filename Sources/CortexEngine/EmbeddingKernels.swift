// Host kernels of the embedding projections (PCA's power iteration and t-SNE's gradient): O(n²) loops over
// small Double matrices already read from the device, kept here with the engine's other raw-pointer loops.

public enum EmbeddingKernels {
    /// m · v for a dense n × n matrix m (row-major).
    public static func matrixVector(_ m: [Double], _ v: [Double], n: Int) -> [Double] {
        require(m.count == n * n && v.count == n, "EmbeddingKernels.matrixVector: a \(n)×\(n) matrix and \(n) values, got \(m.count) and \(v.count)")
        var out = [Double](repeating: 0, count: n)
        m.withUnsafeBufferPointer { a in
            v.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { out in
                    for i in 0..<n {
                        var s = 0.0
                        for j in 0..<n { s += a[i * n + j] * v[j] }
                        out[i] = s
                    }
                }
            }
        }
        return out
    }

    /// t-SNE's gradient for points y (n × 2, interleaved) and joint probabilities p (n × n): with Student-t affinities
    /// tᵢⱼ = 1 / (1 + ‖yᵢ − yⱼ‖²), ∂KL/∂yᵢ = 4 Σⱼ (exaggeration·pᵢⱼ − tᵢⱼ / Σt) tᵢⱼ (yᵢ − yⱼ). `affinities` (n × n) is
    /// scratch space, so each iteration allocates nothing.
    public static func tsneGradient(y: [Double], p: [Double], n: Int, exaggeration: Double, affinities: inout [Double],
                                    gradient: inout [Double]) {
        require(y.count == 2 * n && p.count == n * n && affinities.count == n * n && gradient.count == 2 * n,
                "EmbeddingKernels.tsneGradient: sizes do not match \(n) points")
        y.withUnsafeBufferPointer { y in
            p.withUnsafeBufferPointer { p in
                affinities.withUnsafeMutableBufferPointer { q in
                    gradient.withUnsafeMutableBufferPointer { gradient in
                        var total = 0.0
                        for i in 0..<n {
                            q[i * n + i] = 0
                            var j = i + 1
                            while j < n {
                                let dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1]
                                let t = 1 / (1 + dx * dx + dy * dy)
                                q[i * n + j] = t; q[j * n + i] = t
                                total += 2 * t
                                j += 1
                            }
                        }
                        let inverse = 1 / total
                        for i in 0..<n {
                            var gx = 0.0, gy = 0.0
                            let (xi, yi) = (y[2 * i], y[2 * i + 1])
                            for j in 0..<n {
                                let t = q[i * n + j], force = (exaggeration * p[i * n + j] - t * inverse) * t
                                gx += force * (xi - y[2 * j]); gy += force * (yi - y[2 * j + 1])
                            }
                            (gradient[2 * i], gradient[2 * i + 1]) = (4 * gx, 4 * gy)
                        }
                    }
                }
            }
        }
    }
}
