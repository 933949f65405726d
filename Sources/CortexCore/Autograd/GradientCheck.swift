// Finite-difference gradient checking: compares backward() against central differences, the
// standard test that a derivative rule matches its forward.

/// The outcome of `gradientCheck`: the worst disagreement found, or none.
public struct GradientCheckResult: CustomStringConvertible, Sendable {
    /// Human-readable descriptions of elements whose analytic and numeric gradients disagree.
    public let failures: [String]
    /// The largest |analytic − numeric| seen.
    public let maxAbsoluteError: Double
    public var passed: Bool { failures.isEmpty }
    public var description: String {
        passed ? "gradient check passed (max error \(maxAbsoluteError))" : failures.prefix(5).joined(separator: "\n")
    }
}

/// Checks the gradients of `function` at `inputs` (float32 tensors that require grad) against
/// central differences of L = Σ function(inputs) · c for a random cotangent c. The loss is summed
/// in Double so float32 rounding does not swamp the difference quotient.
public func gradientCheck(_ function: ([Tensor]) -> Tensor, inputs: [Tensor], epsilon: Float = 1e-3,
                          rtol: Double = 1e-2, atol: Double = 1e-3, seed: UInt64 = 7) -> GradientCheckResult {
    let output = function(inputs)
    let cotangent = Tensor.randn(output.shape, generator: RandomGenerator(seed: seed), device: output.device)
    let weights = cotangent.scalars.map(Double.init)
    for input in inputs { input.grad = nil }
    output.backward(cotangent)

    func loss(_ values: [Tensor]) -> Double {
        let y = noGrad { function(values) }.scalars
        return zip(y, weights).reduce(0) { $0 + Double($1.0) * $1.1 }
    }

    var failures: [String] = []
    var worst = 0.0
    for (k, input) in inputs.enumerated() where input.requiresGrad {
        let analytic = input.grad?.scalars ?? Array(repeating: 0, count: input.count)
        let base = input.scalars
        for i in 0..<input.count {
            var plus = base, minus = base
            plus[i] += epsilon
            minus[i] -= epsilon
            var up = inputs, down = inputs
            up[k] = Tensor(plus, shape: input.shape)
            down[k] = Tensor(minus, shape: input.shape)
            let numeric = (loss(up) - loss(down)) / (Double(plus[i]) - Double(minus[i]))
            let error = abs(Double(analytic[i]) - numeric)
            worst = max(worst, error)
            if error > atol + rtol * abs(numeric) {
                failures.append("input \(k) element \(i): analytic \(analytic[i]), numeric \(numeric)")
            }
        }
    }
    return GradientCheckResult(failures: failures, maxAbsoluteError: worst)
}
