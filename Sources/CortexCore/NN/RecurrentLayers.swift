// Recurrent layers with PyTorch's semantics and state-dict names: RNN (tanh or ReLU), LSTM and GRU with
// several layers, both directions, batch-first or time-first input, dropout between layers, given or zero
// initial states and variable-length batches. Each layer-direction is one input-projection GEMM over all
// steps and one recurrent scan (fused gates per step, backpropagation through time as one op).
import CortexEngine

/// The common body of `RNN`, `LSTM` and `GRU` (PyTorch's `RNNBase`). Parameters are named as PyTorch names
/// them — `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, with `_reverse` for the backward
/// direction — so PyTorch weights load by name; all start uniform in ±1/√hidden, as PyTorch's do.
public class RecurrentLayer: Module {
    public let cell: RecurrentCell
    public let inputSize: Int, hiddenSize: Int, numLayers: Int
    public let bidirectional: Bool, batchFirst: Bool, hasBias: Bool
    /// Dropout on the outputs of every layer but the last, in training mode.
    public let dropout: Float
    /// Every parameter, in PyTorch's order (per layer, per direction: weight_ih, weight_hh, bias_ih, bias_hh).
    let weights: [Param]
    let dropoutGenerator: RandomGenerator

    var directions: Int { bidirectional ? 2 : 1 }

    init(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool, dropout: Float,
         bidirectional: Bool, generator: RandomGenerator?) {
        let name = String(describing: type(of: self))
        require(inputSize > 0 && hiddenSize > 0 && numLayers > 0,
                "\(name): input size, hidden size and layer count must be positive, got \(inputSize), \(hiddenSize), \(numLayers)")
        require(dropout >= 0 && dropout <= 1, "\(name): dropout \(dropout) is outside [0, 1]")
        (self.cell, self.inputSize, self.hiddenSize, self.numLayers) = (cell, inputSize, hiddenSize, numLayers)
        (self.hasBias, self.batchFirst, self.dropout, self.bidirectional) = (bias, batchFirst, dropout, bidirectional)
        let width = cell.gateCount * hiddenSize, bound = 1 / Float(hiddenSize).squareRoot()
        var weights: [Param] = []
        for layer in 0..<numLayers {
            let layerInput = layer == 0 ? inputSize : hiddenSize * (bidirectional ? 2 : 1)
            for direction in 0..<(bidirectional ? 2 : 1) {
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                func uniform(_ shape: [Int]) -> Tensor {
                    Tensor.uniform(shape, low: -bound, high: bound, generator: generator).requiringGrad()
                }
                weights.append(Param(wrappedValue: uniform([width, layerInput]), key: "weight_ih" + suffix))
                weights.append(Param(wrappedValue: uniform([width, hiddenSize]), key: "weight_hh" + suffix))
                if bias {
                    weights.append(Param(wrappedValue: uniform([width]), key: "bias_ih" + suffix))
                    weights.append(Param(wrappedValue: uniform([width]), key: "bias_hh" + suffix))
                }
            }
        }
        self.weights = weights
        dropoutGenerator = RandomGenerator(seed: generator?.next() ?? 0)
        super.init()
    }

    /// A parameter by its PyTorch name (`weight_hh_l1_reverse`).
    public func parameter(_ name: String) -> Tensor {
        guard let p = weights.first(where: { $0.key == name }) else { fatalError("\(type(of: self)): no parameter named \(name)") }
        return p.wrappedValue
    }

    /// The output of every step, from zero initial states.
    public func callAsFunction(_ input: Tensor) -> Tensor { run(input, hidden: nil, cell: nil, lengths: nil).0 }

    /// The output of every step for the embedded `tokens`, `self(embedding(tokens))`: (T, B) ids — (B, T) when
    /// batch-first — or unbatched (T). The same values and gradients, computed faster when the batch holds more
    /// tokens than the table has rows: a token's input projection is a row of the table's projection, so the
    /// first layer projects the table once (vocabulary × gates·H) and each step reads its tokens' rows, instead of
    /// projecting every token; backward, the token gradients are summed per row before the two small GEMMs.
    public func callAsFunction(tokens: Tensor, embedding: Embedding) -> Tensor {
        run(.tokens(tokens, embedding), hidden: nil, cell: nil, lengths: nil).0
    }

    /// What the first layer reads: vectors, or token ids and the embedding they index.
    enum Input {
        case vectors(Tensor)
        case tokens(Tensor, Embedding)
    }

    func run(_ input: Tensor, hidden: Tensor?, cell initialCell: Tensor?, lengths: Tensor?) -> (Tensor, Tensor, Tensor?) {
        run(.vectors(input), hidden: hidden, cell: initialCell, lengths: lengths)
    }

    /// Runs every layer and direction. Vector input is (T, B, input) — (B, T, input) when batch-first — or
    /// unbatched (T, input); token input the same without the last axis. `hidden`/`cell` are
    /// (layers·directions, B, hidden) (unbatched: without B).
    func run(_ input: Input, hidden: Tensor?, cell initialCell: Tensor?, lengths: Tensor?) -> (Tensor, Tensor, Tensor?) {
        let name = String(describing: type(of: self))
        // Token input: ids (T, B) in time order, and the table to fold into the first projection; nil when the
        // batch has no more tokens than the table has rows (folding would not save work), or the embedding has
        // a padding row (whose table gradient PyTorch zeroes, while the projection's gradient must still count it).
        var x: Tensor, lookup: (ids: Tensor, table: Tensor)? = nil
        let batched: Bool
        switch input {
        case .vectors(let vectors):
            require(vectors.rank == 2 || vectors.rank == 3, "\(name): input must be (T, B, \(inputSize)), (B, T, \(inputSize)) when batch-first, or unbatched (T, \(inputSize)); got \(vectors.shape)")
            require(vectors.shape.last == inputSize, "\(name): input shape \(vectors.shape) does not end in the input size \(inputSize)")
            batched = vectors.rank == 3
            x = batched ? (batchFirst ? vectors.transposed(0, 1) : vectors) : vectors.unsqueezed(1)
        case .tokens(let ids, let embedding):
            require(ids.dtype.isInteger && (ids.rank == 1 || ids.rank == 2), "\(name): token ids must be integers of shape (T, B), (B, T) when batch-first, or unbatched (T); got \(ids.dtype) \(ids.shape)")
            require(embedding.weight.shape[1] == inputSize, "\(name): the embedding's dimension \(embedding.weight.shape[1]) is not the input size \(inputSize)")
            batched = ids.rank == 2
            let timeMajor = batched ? (batchFirst ? ids.transposed(0, 1).contiguous() : ids) : ids.unsqueezed(1)
            if embedding.paddingIndex == nil && timeMajor.count > embedding.weight.shape[0] {
                lookup = (timeMajor, embedding.weight)
                x = timeMajor
            } else {
                x = embedding(timeMajor)
            }
        }
        let batch = x.shape[1]
        let stateShape = [numLayers * directions, batch, hiddenSize]
        func prepare(_ state: Tensor?, _ what: String) -> Tensor? {
            guard let state else { return nil }
            let s = batched ? state : state.unsqueezed(1)
            require(s.shape == stateShape, "\(name): initial \(what) state has shape \(state.shape), expected \(batched ? stateShape : [stateShape[0], hiddenSize])")
            return s
        }
        let h0 = prepare(hidden, "hidden"), c0 = prepare(initialCell, "cell")
        if let lengths {
            require(batched, "\(name): lengths are for batched input")
            require(lengths.dtype.isInteger && lengths.shape == [batch], "\(name): lengths must be \(batch) integers, got \(lengths.dtype) \(lengths.shape)")
        }
        let zeros = Tensor.zeros([batch, hiddenSize], device: x.device)
        var lastHidden: [Tensor] = [], lastCell: [Tensor] = []
        var p = 0
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let weightIH = weights[p].wrappedValue, weightHH = weights[p + 1].wrappedValue
                let biasIH = hasBias ? weights[p + 2].wrappedValue : nil, biasHH = hasBias ? weights[p + 3].wrappedValue : nil
                p += hasBias ? 4 : 2
                // One GEMM projects every step's input; LSTM and RNN fold the hidden bias into it.
                let foldedBias = cell.foldsHiddenBias ? biasIH.map { $0 + biasHH! } : biasIH
                // With token input the first layer projects the table, and the scan reads each token's row of it.
                let tokens = layer == 0 ? lookup?.ids : nil
                let projection = linear(tokens != nil ? lookup!.table : x, weight: weightIH, bias: foldedBias)
                let index = layer * directions + direction
                let scan = recurrentScan(cell, inputProjection: projection, tokens: tokens, hiddenWeight: weightHH,
                                         hiddenBias: cell.foldsHiddenBias ? nil : biasHH,
                                         initialHidden: h0?.selected(0, index) ?? zeros,
                                         initialCell: cell == .lstm ? (c0?.selected(0, index) ?? zeros) : nil,
                                         lengths: lengths, reverse: direction == 1)
                outputs.append(scan.output)
                lastHidden.append(scan.hidden)
                if let c = scan.cell { lastCell.append(c) }
            }
            x = directions == 1 ? outputs[0] : Tensor.cat(outputs, dim: 2)
            if layer < numLayers - 1 && dropout > 0 && training {
                x = CortexCore.dropout(x, probability: dropout, training: true, generator: dropoutGenerator)
            }
        }
        var output = batched ? (batchFirst ? x.transposed(0, 1) : x) : x.squeezed(1)
        if batched && batchFirst { output = output.contiguous() }
        let hN = Tensor.stack(lastHidden), cN = cell == .lstm ? Tensor.stack(lastCell) : nil
        return (output, batched ? hN : hN.squeezed(1), cN.map { batched ? $0 : $0.squeezed(1) })
    }
}

/// An LSTM's state: hidden and cell, each (layers·directions, B, hidden).
public struct LSTMState {
    public let hidden: Tensor
    public let cell: Tensor
    public init(hidden: Tensor, cell: Tensor) { (self.hidden, self.cell) = (hidden, cell) }
}

/// Long short-term memory, as torch.nn.LSTM (gates i, f, g, o).
///
/// `lstm(x)` returns the output of every step; `lstm(x, state:lengths:)` also returns the last state and
/// takes an initial one, and per-sequence lengths for a padded batch (outputs past a sequence's length
/// are zero and its state is the one at its last step, as with PyTorch's packed sequences).
public final class LSTM: RecurrentLayer, Layer {
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Float = 0, bidirectional: Bool = false, generator: RandomGenerator? = nil) {
        super.init(cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, generator: generator)
    }

    public func callAsFunction(_ input: Tensor, state: LSTMState?, lengths: Tensor? = nil) -> (output: Tensor, state: LSTMState) {
        run(.vectors(input), state: state, lengths: lengths)
    }

    /// As `callAsFunction(_:state:lengths:)` for the embedded `tokens` (see `callAsFunction(tokens:embedding:)`).
    public func callAsFunction(tokens: Tensor, embedding: Embedding, state: LSTMState?, lengths: Tensor? = nil) -> (output: Tensor, state: LSTMState) {
        run(.tokens(tokens, embedding), state: state, lengths: lengths)
    }

    private func run(_ input: Input, state: LSTMState?, lengths: Tensor?) -> (output: Tensor, state: LSTMState) {
        let (output, h, c) = run(input, hidden: state?.hidden, cell: state?.cell, lengths: lengths)
        return (output, LSTMState(hidden: h, cell: c!))
    }
}

/// Gated recurrent unit, as torch.nn.GRU (gates r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))).
public final class GRU: RecurrentLayer, Layer {
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Float = 0, bidirectional: Bool = false, generator: RandomGenerator? = nil) {
        super.init(cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, generator: generator)
    }

    public func callAsFunction(_ input: Tensor, state: Tensor?, lengths: Tensor? = nil) -> (output: Tensor, state: Tensor) {
        let (output, h, _) = run(input, hidden: state, cell: nil, lengths: lengths)
        return (output, h)
    }
}

/// The Elman RNN, as torch.nn.RNN: h = tanh(W_ih x + b_ih + W_hh h + b_hh), or ReLU.
public final class RNN: RecurrentLayer, Layer {
    public enum Nonlinearity: String, Sendable { case tanh, relu }

    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, nonlinearity: Nonlinearity = .tanh, bias: Bool = true,
                batchFirst: Bool = false, dropout: Float = 0, bidirectional: Bool = false, generator: RandomGenerator? = nil) {
        super.init(cell: nonlinearity == .tanh ? .rnnTanh : .rnnReLU, inputSize: inputSize, hiddenSize: hiddenSize,
                   numLayers: numLayers, bias: bias, batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional,
                   generator: generator)
    }

    public func callAsFunction(_ input: Tensor, state: Tensor?, lengths: Tensor? = nil) -> (output: Tensor, state: Tensor) {
        let (output, h, _) = run(input, hidden: state, cell: nil, lengths: lengths)
        return (output, h)
    }
}

/// One step of a recurrent cell (PyTorch's `RNNCell`, `LSTMCell`, `GRUCell`), with parameters `weight_ih`,
/// `weight_hh`, `bias_ih`, `bias_hh`; the step runs as a one-step scan, so it shares the fused kernels.
public class RecurrentCellLayer: Module {
    public let cell: RecurrentCell
    public let inputSize: Int, hiddenSize: Int
    let weights: [Param]

    init(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, bias: Bool, generator: RandomGenerator?) {
        let name = String(describing: type(of: self))
        require(inputSize > 0 && hiddenSize > 0, "\(name): sizes must be positive, got \(inputSize), \(hiddenSize)")
        (self.cell, self.inputSize, self.hiddenSize) = (cell, inputSize, hiddenSize)
        let width = cell.gateCount * hiddenSize, bound = 1 / Float(hiddenSize).squareRoot()
        func uniform(_ shape: [Int]) -> Tensor { Tensor.uniform(shape, low: -bound, high: bound, generator: generator).requiringGrad() }
        var weights = [Param(wrappedValue: uniform([width, inputSize]), key: "weight_ih"),
                       Param(wrappedValue: uniform([width, hiddenSize]), key: "weight_hh")]
        if bias {
            weights += [Param(wrappedValue: uniform([width]), key: "bias_ih"), Param(wrappedValue: uniform([width]), key: "bias_hh")]
        }
        self.weights = weights
        super.init()
    }

    /// A parameter by its PyTorch name.
    public func parameter(_ name: String) -> Tensor {
        guard let p = weights.first(where: { $0.key == name }) else { fatalError("\(type(of: self)): no parameter named \(name)") }
        return p.wrappedValue
    }

    /// One step from `input` (B, input) or (input) and the previous state (zeros when nil).
    func step(_ input: Tensor, hidden: Tensor?, cell previousCell: Tensor?) -> (Tensor, Tensor?) {
        let name = String(describing: type(of: self))
        require((input.rank == 1 || input.rank == 2) && input.shape.last == inputSize,
                "\(name): input must be (B, \(inputSize)) or (\(inputSize)), got \(input.shape)")
        let batched = input.rank == 2
        let x = batched ? input : input.unsqueezed(0)
        let batch = x.shape[0]
        func prepare(_ s: Tensor?, _ what: String) -> Tensor {
            guard let s else { return Tensor.zeros([batch, hiddenSize], device: input.device) }
            let b = batched ? s : s.unsqueezed(0)
            require(b.shape == [batch, hiddenSize], "\(name): \(what) state has shape \(s.shape), expected \(batched ? [batch, hiddenSize] : [hiddenSize])")
            return b
        }
        let biasIH = weights.count == 4 ? weights[2].wrappedValue : nil, biasHH = weights.count == 4 ? weights[3].wrappedValue : nil
        let folded = cell.foldsHiddenBias ? biasIH.map { $0 + biasHH! } : biasIH
        let projection = linear(x, weight: weights[0].wrappedValue, bias: folded).unsqueezed(0)
        let scan = recurrentScan(cell, inputProjection: projection, hiddenWeight: weights[1].wrappedValue,
                                 hiddenBias: cell.foldsHiddenBias ? nil : biasHH, initialHidden: prepare(hidden, "hidden"),
                                 initialCell: cell == .lstm ? prepare(previousCell, "cell") : nil)
        let h = batched ? scan.hidden : scan.hidden.squeezed(0)
        return (h, scan.cell.map { batched ? $0 : $0.squeezed(0) })
    }
}

/// One LSTM step, as torch.nn.LSTMCell: returns the new hidden and cell states.
public final class LSTMCell: RecurrentCellLayer {
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, generator: RandomGenerator? = nil) {
        super.init(cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, generator: generator)
    }

    public func callAsFunction(_ input: Tensor, state: LSTMState? = nil) -> LSTMState {
        let (h, c) = step(input, hidden: state?.hidden, cell: state?.cell)
        return LSTMState(hidden: h, cell: c!)
    }
}

/// One GRU step, as torch.nn.GRUCell: returns the new hidden state.
public final class GRUCell: RecurrentCellLayer {
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, generator: RandomGenerator? = nil) {
        super.init(cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, generator: generator)
    }

    public func callAsFunction(_ input: Tensor, state: Tensor? = nil) -> Tensor { step(input, hidden: state, cell: nil).0 }
}

/// One Elman RNN step, as torch.nn.RNNCell (tanh or ReLU).
public final class RNNCell: RecurrentCellLayer {
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, nonlinearity: RNN.Nonlinearity = .tanh,
                generator: RandomGenerator? = nil) {
        super.init(cell: nonlinearity == .tanh ? .rnnTanh : .rnnReLU, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias,
                   generator: generator)
    }

    public func callAsFunction(_ input: Tensor, state: Tensor? = nil) -> Tensor { step(input, hidden: state, cell: nil).0 }
}
