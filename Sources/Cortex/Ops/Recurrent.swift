// Recurrence over a whole sequence as one op: one direction of one RNN/LSTM/GRU layer, given the input
// projections of every time step (one GEMM, made by the caller). Each step is a hidden-projection GEMM
// and one fused gate kernel; backpropagation through time is this op's own backward, a reverse loop
// of the same shape, with the hidden-weight gradient as one GEMM over all steps at the end.
import CortexEngine

/// The cell a recurrent layer runs.
public enum RecurrentCell: String, Sendable {
    case rnnTanh = "RNN_TANH", rnnReLU = "RNN_RELU", lstm = "LSTM", gru = "GRU"

    /// Gate blocks per hidden unit: 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n), 1 for a plain RNN.
    public var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnnTanh, .rnnReLU: 1
        }
    }

    /// Whether the hidden bias can be added to the input projection once (every cell but GRU, whose
    /// hidden bias sits inside r ⊙ (W_hn h + b_hn)).
    var foldsHiddenBias: Bool { self != .gru }
}

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
public func recurrentScan(_ cell: RecurrentCell, inputProjection: Tensor, hiddenWeight: Tensor, hiddenBias: Tensor? = nil,
                          initialHidden: Tensor, initialCell: Tensor? = nil, lengths: Tensor? = nil,
                          reverse: Bool = false) -> RecurrentScan {
    let op = "recurrent(\(cell.rawValue))"
    inputProjection.requireFloat(op)
    require(inputProjection.rank == 3, "\(op): input projection must be (T, B, gates·H), got \(inputProjection.shape)")
    let (steps, batch) = (inputProjection.shape[0], inputProjection.shape[1])
    let hidden = hiddenWeight.shape.count == 2 ? hiddenWeight.shape[1] : 0
    let width = cell.gateCount * hidden
    require(hiddenWeight.shape == [width, hidden] && inputProjection.shape[2] == width,
            "\(op): hidden weight \(hiddenWeight.shape) and input projection \(inputProjection.shape) disagree (expected (\(width), \(hidden)))")
    require(initialHidden.shape == [batch, hidden], "\(op): initial hidden state \(initialHidden.shape) should be [\(batch), \(hidden)]")
    require(steps > 0, "\(op): the sequence is empty")
    require((cell == .lstm) == (initialCell != nil), "\(op): an initial cell state is given exactly for an LSTM")
    if let initialCell { require(initialCell.shape == [batch, hidden], "\(op): initial cell state \(initialCell.shape) should be [\(batch), \(hidden)]") }
    if let hiddenBias { require(cell == .gru && hiddenBias.shape == [width], "\(op): a separate hidden bias (shape [\(width)]) is for GRU only") }
    if let lengths { require(lengths.dtype.isInteger && lengths.shape == [batch], "\(op): lengths must be integers of shape [\(batch)]") }

    let device = inputProjection.device, backend = inputProjection.backend
    let w = hiddenWeight.detach().contiguousStorage()
    // Step k of the scan runs time step `time(k)`; states are kept in processing order: states[0] is the
    // initial state, states[k + 1] the state after step k.
    let time = { (k: Int) in reverse ? steps - 1 - k : k }
    let states = Tensor(uninitialized: [steps + 1, batch, hidden], device: device)
    backend.copy(initialHidden.detach().contiguousStorage().operand, into: row(states, 0))
    let cells = cell == .lstm ? Tensor(uninitialized: [steps + 1, batch, hidden], device: device) : nil
    if let cells, let initialCell { backend.copy(initialCell.detach().contiguousStorage().operand, into: row(cells, 0)) }
    // LSTM and RNN: the gates start as a copy of the input projection, and each step's hidden GEMM adds onto
    // them. GRU: the hidden projections (with b_hh) are kept apart, since r multiplies the n block.
    let gates = cell == .gru ? inputProjection.detach().contiguousStorage() : inputProjection.detach().copied()
    let hiddenGates = cell == .gru ? Tensor(uninitialized: [steps, batch, width], device: device) : nil
    let activations = cell == .lstm || cell == .gru ? Tensor(uninitialized: [steps, batch, width], device: device) : nil
    let cellTanh = cell == .lstm ? Tensor(uninitialized: [steps, batch, hidden], device: device) : nil
    let bias = hiddenBias?.detach().contiguousStorage()
    // Per step: which sequences are still running (bool, B × 1), when lengths are given.
    let active: [Tensor]? = lengths.map { lengths in
        let l = lengths.to(.float32).reshaped([batch, 1])
        return (0..<steps).map { k in l.gt(Float(time(k))) }
    }
    // The packed result: outputs (T rows), then the last hidden state, then the last cell state.
    let result = Tensor(uninitialized: [steps + (cell == .lstm ? 2 : 1), batch, hidden], device: device)
    for k in 0..<steps {
        let t = time(k), previous = row(states, k), next = row(states, k + 1)
        switch cell {
        case .lstm:
            let g = row(gates, t)
            backend.gemm(transposeA: false, transposeB: true, m: batch, n: width, k: hidden, previous, lda: hidden, w.operand,
                         ldb: hidden, beta: 1, into: g, ldc: width)
            backend.lstmCell(gates: g, cellPrevious: row(cells!, k), hidden: next, cell: row(cells!, k + 1),
                             activations: row(activations!, k), cellTanh: row(cellTanh!, k), batch: batch, hiddenSize: hidden)
        case .gru:
            let hg = row(hiddenGates!, k)
            if let bias {
                backend.copy(Operand(bias.storage, Layout(shape: [batch, width], strides: [0, 1], offset: bias.offset), .float32), into: hg)
            }
            backend.gemm(transposeA: false, transposeB: true, m: batch, n: width, k: hidden, previous, lda: hidden, w.operand,
                         ldb: hidden, beta: bias == nil ? 0 : 1, into: hg, ldc: width)
            backend.gruCell(inputGates: row(gates, t), hiddenGates: hg, hiddenPrevious: previous, hidden: next,
                            activations: row(activations!, k), batch: batch, hiddenSize: hidden)
        case .rnnTanh, .rnnReLU:
            let g = row(gates, t)
            backend.gemm(transposeA: false, transposeB: true, m: batch, n: width, k: hidden, previous, lda: hidden, w.operand,
                         ldb: hidden, beta: 1, into: g, ldc: width)
            backend.unary(cell == .rnnTanh ? .tanh : .relu, g, into: next)
        }
        if let mask = active?[k] {
            // A finished sequence keeps its state; its output is zero.
            let m = mask.broadcastOperand(to: [batch, hidden])
            backend.select(m, next, previous, into: next)
            if let cells { backend.select(m, row(cells, k + 1), row(cells, k), into: row(cells, k + 1)) }
            let zero = Tensor(0, device: device).broadcastOperand(to: [batch, hidden])
            backend.select(m, next, zero, into: row(result, t))
        } else {
            backend.copy(next, into: row(result, t))
        }
    }
    backend.copy(row(states, steps), into: row(result, steps))
    if let cells { backend.copy(row(cells, steps), into: row(result, steps + 1)) }

    var inputs = [inputProjection, hiddenWeight]
    if let hiddenBias { inputs.append(hiddenBias) }
    inputs.append(initialHidden)
    if let initialCell { inputs.append(initialCell) }
    let recorded = result.recordingGrad(op, attributes: ["reverse": .bool(reverse), "hidden_size": .int(hidden)], inputs: inputs) { g in
        let grads = recurrentBackward(cell, gradient: g.contiguousStorage(), steps: steps, batch: batch, hidden: hidden,
                                      weight: w, states: states, cells: cells, hiddenGates: hiddenGates,
                                      activations: activations, cellTanh: cellTanh, active: active, time: time,
                                      needBias: hiddenBias?.requiresGrad == true)
        var out: [Tensor?] = [grads.inputProjection, grads.weight]
        if hiddenBias != nil { out.append(grads.bias) }
        out.append(grads.hidden)
        if initialCell != nil { out.append(grads.cell) }
        return out
    }
    return RecurrentScan(output: recorded.sliced(0, start: 0, end: steps), hidden: recorded.selected(0, steps),
                         cell: cell == .lstm ? recorded.selected(0, steps + 1) : nil)
}

/// Backpropagation through time for `recurrentScan`: the steps in reverse, each the fused gate backward
/// plus one GEMM for the previous state's gradient; the hidden weight's gradient is one GEMM over all
/// steps afterwards (Σ_k dgates_kᵀ · h_k).
private func recurrentBackward(_ cell: RecurrentCell, gradient g: Tensor, steps: Int, batch: Int, hidden: Int, weight w: Tensor,
                               states: Tensor, cells: Tensor?, hiddenGates: Tensor?, activations: Tensor?, cellTanh: Tensor?,
                               active: [Tensor]?, time: (Int) -> Int, needBias: Bool)
    -> (inputProjection: Tensor, weight: Tensor, bias: Tensor?, hidden: Tensor, cell: Tensor?) {
    let device = g.device, backend = g.backend
    let width = cell.gateCount * hidden
    // Gradients of the hidden-side pre-activations in processing order (what multiplies h_k in W_hh's
    // gradient), and of the input projection in time order (the same numbers except for GRU's n block).
    let hiddenSide = Tensor(uninitialized: [steps, batch, width], device: device)
    let inputSide = cell == .gru ? Tensor(uninitialized: [steps, batch, width], device: device) : nil
    var dh = Tensor(uninitialized: [batch, hidden], device: device)
    backend.copy(row(g, steps), into: dh.operand)
    var dc: Tensor? = nil
    if cell == .lstm {
        let c = Tensor(uninitialized: [batch, hidden], device: device)
        backend.copy(row(g, steps + 1), into: c.operand)
        dc = c
    }
    let total = Tensor(uninitialized: [batch, hidden], device: device)
    let zero = Tensor(0, device: device)
    for k in stride(from: steps - 1, through: 0, by: -1) {
        let t = time(k)
        let mask = active?[k].broadcastOperand(to: [batch, hidden])
        // The step's output gradient reaches its state only where the sequence was running.
        if let mask {
            backend.select(mask, row(g, t), zero.broadcastOperand(to: [batch, hidden]), into: total.operand)
            backend.binary(.add, total.operand, dh.operand, into: total.operand)
        } else {
            backend.binary(.add, row(g, t), dh.operand, into: total.operand)
        }
        let dGates = row(hiddenSide, k)
        let previousHidden = Tensor(uninitialized: [batch, hidden], device: device)
        var previousCell: Tensor? = nil
        switch cell {
        case .lstm:
            let c = Tensor(uninitialized: [batch, hidden], device: device)
            backend.lstmCellBackward(activations: row(activations!, k), cellPrevious: row(cells!, k), cellTanh: row(cellTanh!, k),
                                     hiddenGradient: total.operand, cellGradient: dc?.operand, gatesGradient: dGates,
                                     cellPreviousGradient: c.operand, batch: batch, hiddenSize: hidden)
            previousCell = c
        case .gru:
            backend.gruCellBackward(activations: row(activations!, k), hiddenGates: row(hiddenGates!, k),
                                    hiddenPrevious: row(states, k), hiddenGradient: total.operand,
                                    inputGatesGradient: row(inputSide!, t), hiddenGatesGradient: dGates,
                                    hiddenPreviousGradient: previousHidden.operand, batch: batch, hiddenSize: hidden)
        case .rnnTanh, .rnnReLU:
            // Both derivatives read the output: tanh' = 1 − y², and relu' = [y > 0].
            let y = row(states, k + 1)
            backend.unaryBackward(cell == .rnnTanh ? .tanh : .relu, input: cell == .rnnReLU ? y : nil,
                                  output: cell == .rnnTanh ? y : nil, gradient: total.operand, into: dGates)
        }
        if let mask {
            // A finished sequence's step did nothing: no gate gradient, and its state's gradient passes through.
            let wide = active![k].broadcastOperand(to: [batch, width])
            let zeros = zero.broadcastOperand(to: [batch, width])
            backend.select(wide, dGates, zeros, into: dGates)
            if let inputSide { backend.select(wide, row(inputSide, t), zeros, into: row(inputSide, t)) }
            if let previousCell, let dc { backend.select(mask, previousCell.operand, dc.operand, into: previousCell.operand) }
        }
        // dh_{k} = dgates · W_hh (+ GRU's direct part, already in previousHidden).
        backend.gemm(transposeA: false, transposeB: false, m: batch, n: hidden, k: width, dGates, lda: width, w.operand, ldb: hidden,
                     beta: cell == .gru ? 1 : 0, into: previousHidden.operand, ldc: hidden)
        if let mask { backend.select(mask, previousHidden.operand, total.operand, into: previousHidden.operand) }
        dh = previousHidden
        if cell == .lstm { dc = previousCell }
    }
    // dW_hh = Σ_k dgates_kᵀ · h_k: one GEMM over all steps.
    let dWeight = Tensor(uninitialized: [width, hidden], device: device)
    backend.gemm(transposeA: true, transposeB: false, m: width, n: hidden, k: steps * batch, hiddenSide.operand, lda: width,
                 rows(states, from: 0, count: steps), ldb: hidden, beta: 0, into: dWeight.operand, ldc: hidden)
    let dBias = needBias ? hiddenSide.reshaped([steps * batch, width]).sum(dim: 0) : nil
    // The input projection's gradient in time order.
    let dInput: Tensor
    if let inputSide {
        dInput = inputSide
    } else if time(0) == 0 {
        dInput = hiddenSide
    } else {
        dInput = Tensor(uninitialized: [steps, batch, width], device: device)
        for k in 0..<steps { backend.copy(row(hiddenSide, k), into: row(dInput, time(k))) }
    }
    return (dInput, dWeight, dBias, dh, dc)
}
