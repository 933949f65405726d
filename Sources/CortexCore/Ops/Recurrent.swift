// Recurrence over a whole sequence as one op: one direction of one RNN/LSTM/GRU layer, given the input
// projections of every time step (one GEMM, made by the caller). The backend runs the steps (a hidden
// GEMM and one fused gate kernel each) and, as this op's backward, backpropagation through time; the
// hidden-weight gradient is one GEMM over all steps at the end.
import CortexEngine

/// The result of one recurrent scan: the output of every step (time-major), the last hidden state and,
/// for an LSTM, the last cell state.
public struct RecurrentScan {
    public let output: Tensor
    public let hidden: Tensor
    public let cell: Tensor?
}

/// Element `i` along axis 0 of a contiguous tensor, as a kernel operand.
private func row(_ t: Tensor, _ i: Int) -> Operand {
    Operand(t.storage, Layout(contiguous: Array(t.shape.dropFirst()), offset: t.offset + i * t.strides[0]), t.dtype)
}

/// Elements `start ..< start + count` along axis 0 of a contiguous 3-D tensor, as one (count·B, C) matrix.
private func rows(_ t: Tensor, from start: Int, count: Int) -> Operand {
    Operand(t.storage, Layout(contiguous: [count * t.shape[1], t.shape[2]], offset: t.offset + start * t.strides[0]), t.dtype)
}

/// Runs `cell` over time-major `inputProjection` (T, B, gates·H): x·W_ihᵀ + b_ih, plus b_hh for every cell
/// but GRU, whose `hiddenBias` is passed separately. `hiddenWeight` is (gates·H, H); `initialHidden` and
/// `initialCell` (LSTM) are (B, H). With `lengths` (int64, B) a sequence stops at its length: its state
/// is carried unchanged past it and its outputs there are zero, as PyTorch's packed sequences. `reverse`
/// runs from the last step to the first (the backward direction of a bidirectional layer).
///
/// With `tokens` (integers, (T, B)), `inputProjection` is a (V, gates·H) table instead and step t of sequence b
/// reads its row tokens[t, b]: an embedding followed by the input projection, folded into the table, read in
/// place rather than gathered into (T, B, gates·H) first.
public func recurrentScan(_ cell: RecurrentCell, inputProjection: Tensor, tokens: Tensor? = nil, hiddenWeight: Tensor,
                          hiddenBias: Tensor? = nil, initialHidden: Tensor, initialCell: Tensor? = nil, lengths: Tensor? = nil,
                          reverse: Bool = false) -> RecurrentScan {
    let op = "recurrent(\(cell.rawValue))"
    inputProjection.requireFloat(op)
    if let tokens {
        require(tokens.dtype.isInteger && tokens.rank == 2, "\(op): tokens must be integers of shape (T, B), got \(tokens.dtype) \(tokens.shape)")
        require(inputProjection.rank == 2, "\(op): with tokens the input projection is a (V, gates·H) table, got \(inputProjection.shape)")
    } else {
        require(inputProjection.rank == 3, "\(op): input projection must be (T, B, gates·H), got \(inputProjection.shape)")
    }
    let (steps, batch) = tokens.map { ($0.shape[0], $0.shape[1]) } ?? (inputProjection.shape[0], inputProjection.shape[1])
    let hidden = hiddenWeight.shape.count == 2 ? hiddenWeight.shape[1] : 0
    let width = cell.gateCount * hidden
    require(hiddenWeight.shape == [width, hidden] && inputProjection.shape.last == width,
            "\(op): hidden weight \(hiddenWeight.shape) and input projection \(inputProjection.shape) disagree (expected (\(width), \(hidden)))")
    require(initialHidden.shape == [batch, hidden], "\(op): initial hidden state \(initialHidden.shape) should be [\(batch), \(hidden)]")
    require(steps > 0, "\(op): the sequence is empty")
    require((cell == .lstm) == (initialCell != nil), "\(op): an initial cell state is given exactly for an LSTM")
    if let initialCell { require(initialCell.shape == [batch, hidden], "\(op): initial cell state \(initialCell.shape) should be [\(batch), \(hidden)]") }
    if let hiddenBias { require(cell == .gru && hiddenBias.shape == [width], "\(op): a separate hidden bias (shape [\(width)]) is for GRU only") }
    if let lengths { require(lengths.dtype.isInteger && lengths.shape == [batch], "\(op): lengths must be integers of shape [\(batch)]") }

    let device = inputProjection.device, backend = inputProjection.backend
    let w = hiddenWeight.detach().contiguousStorage()
    // States are kept in processing order: states[0] is the initial state, states[k + 1] the state after step k.
    let states = Tensor(uninitialized: [steps + 1, batch, hidden], device: device)
    backend.copy(initialHidden.detach().contiguousStorage().operand, into: row(states, 0))
    let cells = cell == .lstm ? Tensor(uninitialized: [steps + 1, batch, hidden], device: device) : nil
    if let cells, let initialCell { backend.copy(initialCell.detach().contiguousStorage().operand, into: row(cells, 0)) }
    // The input projections are read, never written: LSTM and RNN add each step's hidden projection to them in
    // the backend's scratch. GRU keeps the hidden projections (with b_hh) apart, since r multiplies the n block.
    let gates = inputProjection.detach().contiguousStorage()
    let tokenRows = tokens?.indexTensor(op: op)
    let hiddenGates = cell == .gru ? Tensor(uninitialized: [steps, batch, width], device: device) : nil
    let activations = cell == .lstm || cell == .gru ? Tensor(uninitialized: [steps, batch, width], device: device) : nil
    let cellTanh = cell == .lstm ? Tensor(uninitialized: [steps, batch, hidden], device: device) : nil
    let bias = hiddenBias?.detach().contiguousStorage()
    let lengthValues = lengths?.indexTensor(op: op)
    // The packed result: outputs (T rows), then the last hidden state, then the last cell state.
    let result = Tensor(uninitialized: [steps + (cell == .lstm ? 2 : 1), batch, hidden], device: device)
    let buffers = RecurrentScanBuffers(gates: gates.operand, tokens: tokenRows?.operand, hiddenWeight: w.operand, hiddenBias: bias?.operand, states: states.operand,
                                       cells: cells?.operand, hiddenGates: hiddenGates?.operand, activations: activations?.operand,
                                       cellTanh: cellTanh?.operand, lengths: lengthValues?.operand, result: result.operand)
    backend.recurrentScan(cell, steps: steps, batch: batch, hidden: hidden, reverse: reverse, buffers: buffers)
    // What the backward reads: the buffers, kept alive by the closure.
    let saved = (gates, tokenRows, w, bias, states, cells, hiddenGates, activations, cellTanh, lengthValues)

    var inputs = [inputProjection, hiddenWeight]
    if let hiddenBias { inputs.append(hiddenBias) }
    inputs.append(initialHidden)
    if let initialCell { inputs.append(initialCell) }
    let recorded = result.recordingGrad(op, attributes: ["reverse": .bool(reverse), "hidden_size": .int(hidden)], inputs: inputs) { g in
        withExtendedLifetime(saved) {
            let gc = g.contiguousStorage()
            let hiddenSide = gc.makeOutput([steps, batch, width])
            // LSTM and RNN forward scans: the input projection's gradient is the hidden side itself.
            let inputSide = cell != .gru && !reverse ? hiddenSide : gc.makeOutput([steps, batch, width])
            let dh0 = gc.makeOutput([batch, hidden]), dc0 = cell == .lstm ? gc.makeOutput([batch, hidden]) : nil
            gc.backend.recurrentScanBackward(cell, steps: steps, batch: batch, hidden: hidden, reverse: reverse, buffers: buffers,
                                             gradients: RecurrentScanGradients(result: gc.operand, hiddenSide: hiddenSide.operand,
                                                                               inputSide: inputSide.operand, initialHidden: dh0.operand,
                                                                               initialCell: dc0?.operand))
            // dW_hh = Σ_k dgates_kᵀ · h_k: one GEMM over all steps.
            let dWeight = gc.makeOutput([width, hidden])
            gc.backend.gemm(transposeA: true, transposeB: false, m: width, n: hidden, k: steps * batch, hiddenSide.operand, lda: width,
                            rows(states, from: 0, count: steps), ldb: hidden, beta: 0, into: dWeight.operand, ldc: hidden)
            // With tokens, each step's input gradient adds into its table row.
            let dInput = tokenRows.map { rows in
                Tensor.zeros([inputProjection.shape[0], width], device: device).indexAdding(0, rows.reshaped([-1]), inputSide.reshaped([-1, width]))
            } ?? inputSide
            var out: [Tensor?] = [dInput, dWeight]
            if hiddenBias != nil { out.append(hiddenBias!.requiresGrad ? hiddenSide.reshaped([steps * batch, width]).sum(dim: 0) : nil) }
            out.append(dh0)
            if initialCell != nil { out.append(dc0) }
            return out
        }
    }
    return RecurrentScan(output: recorded.sliced(0, start: 0, end: steps), hidden: recorded.selected(0, steps),
                         cell: cell == .lstm ? recorded.selected(0, steps + 1) : nil)
}
