// Seeded randomness: the generator every random fill draws from, so the same seed gives the same run.
// It lives in the engine because the random-fill kernels consume it; Cortex re-exports it.
import Synchronization

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
    public static let shared = Locked(RandomGenerator(seed: 0))
}

extension RandomGenerator {
    /// Runs `body` with the generator given, or else with the shared default while holding its lock: the
    /// default is drawn from by any thread (the data loader's prefetch thread among them), and two draws
    /// interleaved inside its state would repeat or skip numbers.
    public static func drawing<R: Sendable>(from generator: RandomGenerator?, _ body: (RandomGenerator) -> R) -> R {
        if let generator { return body(generator) }
        return shared.withLock { body($0) }
    }
}

