// Seeded randomness: every random tensor takes a generator, so the same seed gives the same run.
import CortexEngine
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A seedable pseudo-random generator (xoshiro256**, seeded through SplitMix64).
/// Pass one explicitly for reproducible runs; the shared default is seeded with 0.
public final class RandomGenerator: RandomNumberGenerator, @unchecked Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits (every float32 step in the interval is reachable).
    @inline(__always) public func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// The full generator state, for checkpoints that resume a run exactly.
    public var snapshot: [UInt64] { [state.0, state.1, state.2, state.3] }

    public func restore(_ snapshot: [UInt64]) {
        require(snapshot.count == 4, "RandomGenerator.restore: expected 4 state words, got \(snapshot.count)")
        state = (snapshot[0], snapshot[1], snapshot[2], snapshot[3])
    }

    /// The generator used when none is passed. Reseed it with `manualSeed(_:)`.
    public static let shared = Mutex(RandomGenerator(seed: 0))
}

/// Reseeds the default generator, like torch.manual_seed.
public func manualSeed(_ seed: UInt64) {
    RandomGenerator.shared.withLock { $0 = RandomGenerator(seed: seed) }
}

extension RandomGenerator {
    /// Runs `body` with the generator given, or else with the shared default while holding its lock: the
    /// default is drawn from by any thread (the data loader's prefetch thread among them), and two draws
    /// interleaved inside its state would repeat or skip numbers.
    static func drawing<R: Sendable>(from generator: RandomGenerator?, _ body: (RandomGenerator) -> R) -> R {
        if let generator { return body(generator) }
        return shared.withLock { body($0) }
    }
}

extension Tensor {
    /// Uniform samples in [low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, generator: RandomGenerator? = nil) -> Tensor {
        let t = Tensor(uninitialized: shape)
        let p = t.floatPointer, span = high - low, n = t.count
        RandomGenerator.drawing(from: generator) { rng in
            for i in 0..<n { p[i] = low + span * rng.nextUniform() }
        }
        return t
    }

    /// Uniform samples in [0, 1), as torch.rand.
    public static func rand(_ shape: [Int], generator: RandomGenerator? = nil) -> Tensor {
        uniform(shape, generator: generator)
    }

    /// Normal samples with the given mean and standard deviation (Box–Muller), as torch.randn/normal.
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1, generator: RandomGenerator? = nil) -> Tensor {
        let t = Tensor(uninitialized: shape)
        let p = t.floatPointer, n = t.count
        RandomGenerator.drawing(from: generator) { rng in
            var i = 0
            while i < n {
                // 1 - u keeps the logarithm's argument in (0, 1].
                let u1 = 1 - rng.nextUniform(), u2 = rng.nextUniform()
                let radius = (-2 * logf(u1)).squareRoot(), angle = 2 * Float.pi * u2
                p[i] = mean + std * radius * cosf(angle)
                if i + 1 < n { p[i + 1] = mean + std * radius * sinf(angle) }
                i += 2
            }
        }
        return t
    }

    /// Float32 0/1 samples that are 1 with probability `p`.
    public static func bernoulli(_ shape: [Int], probability p: Float, generator: RandomGenerator? = nil) -> Tensor {
        require(p >= 0 && p <= 1, "bernoulli: probability \(p) is outside [0, 1]")
        let t = Tensor(uninitialized: shape)
        let out = t.floatPointer, n = t.count
        RandomGenerator.drawing(from: generator) { rng in
            for i in 0..<n { out[i] = rng.nextUniform() < p ? 1 : 0 }
        }
        return t
    }

    /// Int64 samples uniform in low..<high, as torch.randint.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: RandomGenerator? = nil) -> Tensor {
        require(high > low, "randint: empty range \(low)..<\(high)")
        let count = validatedByteCount(shape, .int64, op: "randint") / 8
        let values = RandomGenerator.drawing(from: generator) { generator in
            var rng = generator
            return (0..<count).map { _ in Int.random(in: low..<high, using: &rng) }
        }
        return Tensor(values, shape: shape)
    }
}
