// Seeded random fills on the CPU, drawn in order from the generator so a seed fixes every value.
#if canImport(Glibc)
import Glibc
#endif

extension CPUBackend {
    public func fillUniform(_ out: Operand, low: Float, high: Float, generator rng: RandomGenerator) {
        check(out, "uniform")
        let p = out.floats, span = high - low
        for i in 0..<out.count { p[i] = low + span * rng.nextUniform() }
    }

    /// Box–Muller pairs; 1 − u keeps the logarithm's argument in (0, 1].
    public func fillNormal(_ out: Operand, mean: Float, std: Float, generator rng: RandomGenerator) {
        check(out, "randn")
        let p = out.floats, n = out.count
        var i = 0
        while i < n {
            let u1 = 1 - rng.nextUniform(), u2 = rng.nextUniform()
            let radius = (-2 * logf(u1)).squareRoot(), angle = 2 * Float.pi * u2
            p[i] = mean + std * radius * cosf(angle)
            if i + 1 < n { p[i + 1] = mean + std * radius * sinf(angle) }
            i += 2
        }
    }

    public func fillBernoulli(_ out: Operand, probability: Float, generator rng: RandomGenerator) {
        check(out, "bernoulli")
        let p = out.floats
        for i in 0..<out.count { p[i] = rng.nextUniform() < probability ? 1 : 0 }
    }

    public func fillRandomIntegers(_ out: Operand, low: Int, high: Int, generator: RandomGenerator) {
        check(out, "randint")
        let p = out.int64s
        var rng = generator
        for i in 0..<out.count { p[i] = Int64(Int.random(in: low..<high, using: &rng)) }
    }
}
