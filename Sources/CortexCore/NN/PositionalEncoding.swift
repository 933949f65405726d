// Position information for sequence models: the fixed sinusoidal encoding of "Attention Is All You
// Need" and a learned embedding per position; both take a start offset, so a decoder that generates
// with a key/value cache adds the right positions to each new token.
import CortexEngine
import Foundation

/// PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)), added to (B, T, d) inputs. The
/// table is a non-persistent buffer: made at init, never saved in a checkpoint.
public final class SinusoidalPositionalEncoding: Module {
    public let maxLength: Int, dimension: Int
    @Buffer var table: Tensor

    public init(dimension: Int, maxLength: Int = 5000) {
        require(dimension > 0 && maxLength > 0, "SinusoidalPositionalEncoding: sizes must be positive, got \(dimension), \(maxLength)")
        (self.dimension, self.maxLength) = (dimension, maxLength)
        var values = [Float](repeating: 0, count: maxLength * dimension)
        for p in 0..<maxLength {
            for i in stride(from: 0, to: dimension, by: 2) {
                let angle = Double(p) / pow(10000, Double(i) / Double(dimension))
                values[p * dimension + i] = Float(sin(angle))
                if i + 1 < dimension { values[p * dimension + i + 1] = Float(cos(angle)) }
            }
        }
        _table = Buffer(wrappedValue: Tensor(values, shape: [maxLength, dimension]), persistent: false)
        super.init()
    }

    /// `input` (B, T, d) plus the encodings of positions start ..< start + T.
    public func callAsFunction(_ input: Tensor, start: Int = 0) -> Tensor {
        let t = input.size(-2)
        require(input.size(-1) == dimension, "SinusoidalPositionalEncoding: input shape \(input.shape) does not end in \(dimension)")
        require(start >= 0 && start + t <= maxLength, "SinusoidalPositionalEncoding: positions \(start)..<\(start + t) exceed \(maxLength)")
        return input + table.sliced(0, start: start, end: start + t).to(device: input.device)
    }
}

/// A learned vector per position (GPT's), added to (B, T, d) inputs; the weight is `weight` (maxLength, d).
public final class LearnedPositionalEmbedding: Module {
    public let maxLength: Int, dimension: Int
    public let weight: Tensor

    public init(maxLength: Int, dimension: Int, generator: RandomGenerator? = nil) {
        require(dimension > 0 && maxLength > 0, "LearnedPositionalEmbedding: sizes must be positive, got \(maxLength), \(dimension)")
        (self.maxLength, self.dimension) = (maxLength, dimension)
        weight = (Tensor.randn([maxLength, dimension], generator: generator) * 0.02).requiringGrad()
        super.init()
    }

    /// `input` (B, T, d) plus the embeddings of positions start ..< start + T.
    public func callAsFunction(_ input: Tensor, start: Int = 0) -> Tensor {
        let t = input.size(-2)
        require(input.size(-1) == dimension, "LearnedPositionalEmbedding: input shape \(input.shape) does not end in \(dimension)")
        require(start >= 0 && start + t <= maxLength, "LearnedPositionalEmbedding: positions \(start)..<\(start + t) exceed \(maxLength)")
        return input + weight.sliced(0, start: start, end: start + t)
    }
}
