// Seeded randomness: every random tensor takes a generator, so the same seed gives the same run.
import CortexEngine

/// Reseeds the default generator, like torch.manual_seed.
public func manualSeed(_ seed: UInt64) {
    RandomGenerator.shared.withLock { $0 = RandomGenerator(seed: seed) }
}

extension Tensor {
    /// Uniform samples in [low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, generator: RandomGenerator? = nil,
                               device: Device = .default) -> Tensor {
        let t = Tensor(uninitialized: shape, device: device)
        RandomGenerator.drawing(from: generator) { rng in t.backend.fillUniform(t.operand, low: low, high: high, generator: rng) }
        return t
    }

    /// Uniform samples in [0, 1), as torch.rand.
    public static func rand(_ shape: [Int], generator: RandomGenerator? = nil, device: Device = .default) -> Tensor {
        uniform(shape, generator: generator, device: device)
    }

    /// Normal samples with the given mean and standard deviation (Box–Muller), as torch.randn/normal.
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1, generator: RandomGenerator? = nil,
                             device: Device = .default) -> Tensor {
        let t = Tensor(uninitialized: shape, device: device)
        RandomGenerator.drawing(from: generator) { rng in t.backend.fillNormal(t.operand, mean: mean, std: std, generator: rng) }
        return t
    }

    /// Float32 0/1 samples that are 1 with probability `p`.
    public static func bernoulli(_ shape: [Int], probability p: Float, generator: RandomGenerator? = nil,
                                 device: Device = .default) -> Tensor {
        require(p >= 0 && p <= 1, "bernoulli: probability \(p) is outside [0, 1]")
        let t = Tensor(uninitialized: shape, device: device)
        RandomGenerator.drawing(from: generator) { rng in t.backend.fillBernoulli(t.operand, probability: p, generator: rng) }
        return t
    }

    /// Int64 samples uniform in low..<high, as torch.randint.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: RandomGenerator? = nil,
                               device: Device = .default) -> Tensor {
        require(high > low, "randint: empty range \(low)..<\(high)")
        let t = Tensor(uninitialized: shape, dtype: .int64, device: device)
        RandomGenerator.drawing(from: generator) { rng in t.backend.fillRandomIntegers(t.operand, low: low, high: high, generator: rng) }
        return t
    }
}
