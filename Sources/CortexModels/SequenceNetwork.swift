// A recurrent network over sequences of vectors (audio features, sensor readings, the lags of a series)
// with a linear head: classification or regression of whole sequences, each with its own length.
import CortexCore

/// (batch, time, features) → (batch, outputs): an LSTM or GRU (optionally bidirectional and stacked) whose
/// outputs are pooled over each sequence's real steps — their mean, or the final state — and a Linear head.
/// Sequences shorter than the batch's longest pass their lengths; steps past a length are never read.
public final class SequenceNetwork: Module, Layer {
    public enum Cell: String, Sendable, Codable { case lstm, gru }
    public enum Pooling: String, Sendable, Codable {
        /// The mean of the top layer's outputs over the real steps.
        case mean
        /// The top layer's final state: at the last real step forward, at the first step backward.
        case last
    }

    public let recurrent: RecurrentLayer
    public let dropout: Dropout
    public let head: Linear
    public let pooling: Pooling
    let directions: Int

    public init(inputSize: Int, hiddenSize: Int, outputSize: Int, cell: Cell = .lstm, layers: Int = 1, bidirectional: Bool = false,
                pooling: Pooling = .last, dropout: Float = 0, seed: UInt64 = 0) {
        precondition(inputSize > 0 && hiddenSize > 0 && outputSize > 0 && layers > 0, "SequenceNetwork: sizes and layer count must be positive")
        let g = RandomGenerator(seed: seed)
        switch cell {
        case .lstm: recurrent = LSTM(inputSize, hiddenSize, numLayers: layers, batchFirst: true, dropout: layers > 1 ? dropout : 0,
                                     bidirectional: bidirectional, generator: g)
        case .gru: recurrent = GRU(inputSize, hiddenSize, numLayers: layers, batchFirst: true, dropout: layers > 1 ? dropout : 0,
                                   bidirectional: bidirectional, generator: g)
        }
        directions = bidirectional ? 2 : 1
        self.dropout = Dropout(dropout, generator: RandomGenerator(seed: seed &+ 1))
        head = Linear(directions * hiddenSize, outputSize, generator: g)
        self.pooling = pooling
        super.init()
    }

    /// Every sequence the batch's full length.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, lengths: nil) }

    /// `lengths`: int64 (batch), each in 1…time, or nil for full-length sequences.
    public func callAsFunction(_ input: Tensor, lengths: Tensor?) -> Tensor {
        precondition(input.rank == 3, "SequenceNetwork: input must be (batch, time, features), got \(input.shape)")
        let (batch, time) = (input.shape[0], input.shape[1])
        let (outputs, hidden): (Tensor, Tensor)
        if let lstm = recurrent as? LSTM {
            let (o, state) = lstm(input, state: nil, lengths: lengths)
            (outputs, hidden) = (o, state.hidden)
        } else {
            (outputs, hidden) = (recurrent as! GRU)(input, state: nil, lengths: lengths)
        }
        let pooled: Tensor
        switch pooling {
        case .mean:
            // Outputs past a sequence's length are zero, so the sum over time is the sum over its real steps.
            let counts = lengths?.to(.float32) ?? Tensor.full([batch], Float(time), device: input.device)
            pooled = outputs.sum(dim: 1) / counts.unsqueezed(1)
        case .last:
            // The top layer's final states, (directions, batch, hidden) → (batch, directions · hidden).
            let layers = hidden.shape[0]
            pooled = hidden.sliced(0, start: layers - directions, end: layers).permuted([1, 0, 2]).reshaped([batch, -1])
        }
        return head(dropout(pooled))
    }
}
