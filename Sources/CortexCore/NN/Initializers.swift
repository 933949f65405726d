// Weight initialisers with PyTorch's names and formulas (torch.nn.init): each fills a tensor in
// place, outside autograd, from an explicit or the shared seeded generator.
import CortexEngine
import Foundation

/// fan_in and fan_out of a weight as PyTorch computes them: dim 1 and dim 0 times the receptive field.
public func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    require(shape.count >= 2, "init: fan in and fan out need at least 2 dimensions, got shape \(shape)")
    let receptive = shape.dropFirst(2).reduce(1, *)
    return (shape[1] * receptive, shape[0] * receptive)
}

/// The gain PyTorch recommends for a nonlinearity (torch.nn.init.calculate_gain).
public enum Nonlinearity: Sendable {
    case linear, sigmoid, tanh, relu, selu
    case leakyRelu(negativeSlope: Float)

    public var gain: Float {
        switch self {
        case .linear, .sigmoid: 1
        case .tanh: 5.0 / 3
        case .relu: Float(2).squareRoot()
        case .selu: 0.75
        case .leakyRelu(let slope): (2 / (1 + slope * slope)).squareRoot()
        }
    }
}

/// Whether Kaiming initialisation preserves the variance of activations (fan in) or gradients (fan out).
public enum FanMode: Sendable { case fanIn, fanOut }

public enum Init {
    /// Fills `tensor` with U(low, high).
    public static func uniform(_ tensor: Tensor, low: Float = 0, high: Float = 1, generator: RandomGenerator? = nil) {
        noGrad { tensor.assign(Tensor.uniform(tensor.shape, low: low, high: high, generator: generator, device: tensor.device)) }
    }

    /// Fills `tensor` with N(mean, std²).
    public static func normal(_ tensor: Tensor, mean: Float = 0, std: Float = 1, generator: RandomGenerator? = nil) {
        noGrad { tensor.assign(Tensor.randn(tensor.shape, mean: mean, std: std, generator: generator, device: tensor.device)) }
    }

    public static func constant(_ tensor: Tensor, _ value: Float) { noGrad { tensor.assign(Tensor.full(tensor.shape, value, device: tensor.device)) } }
    public static func zeros(_ tensor: Tensor) { constant(tensor, 0) }
    public static func ones(_ tensor: Tensor) { constant(tensor, 1) }

    /// Glorot/Xavier uniform: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ tensor: Tensor, gain: Float = 1, generator: RandomGenerator? = nil) {
        let (fanIn, fanOut) = fans(of: tensor.shape)
        let a = gain * (6 / Float(fanIn + fanOut)).squareRoot()
        uniform(tensor, low: -a, high: a, generator: generator)
    }

    /// Glorot/Xavier normal: N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).
    public static func xavierNormal(_ tensor: Tensor, gain: Float = 1, generator: RandomGenerator? = nil) {
        let (fanIn, fanOut) = fans(of: tensor.shape)
        normal(tensor, std: gain * (2 / Float(fanIn + fanOut)).squareRoot(), generator: generator)
    }

    /// He/Kaiming uniform: U(−b, b) with b = gain·√(3 / fan), gain for leaky ReLU with slope `a`.
    public static func kaimingUniform(_ tensor: Tensor, a: Float = 0, mode: FanMode = .fanIn,
                                      nonlinearity: Nonlinearity? = nil, generator: RandomGenerator? = nil) {
        let (fanIn, fanOut) = fans(of: tensor.shape)
        let gain = (nonlinearity ?? .leakyRelu(negativeSlope: a)).gain
        let bound = gain * (3 / Float(mode == .fanIn ? fanIn : fanOut)).squareRoot()
        uniform(tensor, low: -bound, high: bound, generator: generator)
    }

    /// He/Kaiming normal: N(0, σ²) with σ = gain/√fan.
    public static func kaimingNormal(_ tensor: Tensor, a: Float = 0, mode: FanMode = .fanIn,
                                     nonlinearity: Nonlinearity? = nil, generator: RandomGenerator? = nil) {
        let (fanIn, fanOut) = fans(of: tensor.shape)
        let gain = (nonlinearity ?? .leakyRelu(negativeSlope: a)).gain
        normal(tensor, std: gain / Float(mode == .fanIn ? fanIn : fanOut).squareRoot(), generator: generator)
    }

    /// A (semi-)orthogonal matrix (flattened over trailing axes) scaled by `gain`, from the QR
    /// decomposition of a Gaussian matrix with the sign of R's diagonal folded in, as PyTorch does.
    public static func orthogonal(_ tensor: Tensor, gain: Float = 1, generator: RandomGenerator? = nil) {
        require(tensor.rank >= 2, "orthogonal: needs at least 2 dimensions, got shape \(tensor.shape)")
        let rows = tensor.shape[0], cols = tensor.count / rows
        // Orthonormalise the columns of a tall Gaussian matrix (rows ≥ cols after transposing).
        let tall = max(rows, cols), wide = min(rows, cols)
        let gaussian = Tensor.randn([tall, wide], generator: generator, device: .cpu).scalars.map(Double.init)
        var q = gaussian   // tall × wide, column j at q[i * wide + j]
        for j in 0..<wide {
            // Modified Gram–Schmidt, twice for numerical orthogonality.
            for _ in 0..<2 {
                for k in 0..<j {
                    var dot = 0.0
                    for i in 0..<tall { dot += q[i * wide + k] * q[i * wide + j] }
                    for i in 0..<tall { q[i * wide + j] -= dot * q[i * wide + k] }
                }
            }
            var norm = 0.0
            for i in 0..<tall { norm += q[i * wide + j] * q[i * wide + j] }
            norm = norm.squareRoot()
            // R's diagonal is the norm of the residual projected on the original column: positive here,
            // so the sign convention matches QR with sign(diag R) applied.
            for i in 0..<tall { q[i * wide + j] /= norm }
        }
        var values = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                values[r * cols + c] = gain * Float(rows >= cols ? q[r * wide + c] : q[c * wide + r])
            }
        }
        noGrad { tensor.assign(Tensor(values, shape: tensor.shape, device: tensor.device)) }
    }
}
