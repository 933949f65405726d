// Recurrent layers on the CPU: whole scans and their backpropagation through time, built on the fused C
// gate kernels, each core running the time loop for its own group of sequences.
import CCortexKernels

/// A matrix packed once for `ck_gemm_packed`, for a product repeated with the same B.
final class PackedMatrix {
    private let buffer: TensorBuffer
    var floats: UnsafePointer<Float> { UnsafePointer(buffer.floats) }

    /// Packs op(B), k × n: `b` itself (row-major k × n) or, when `transposed`, the transpose of a row-major n × k `b`.
    init(_ b: UnsafePointer<Float>, ld: Int, transposed: Bool, k: Int, n: Int) {
        buffer = TensorBuffer(byteCount: max(1, ck_packed_size(k, n)) * MemoryLayout<Float>.size)
        ck_pack_b(b, ld, transposed ? 1 : 0, k, n, buffer.floats)
    }
}

extension CPUBackend {
    /// Sequences are independent: each core runs the whole time loop for its own group of them, with
    /// single-threaded GEMMs, so there is no hand-off between threads inside a step.
    public func recurrentScan(_ cell: RecurrentCell, steps: Int, batch: Int, hidden h: Int, reverse: Bool,
                              buffers: RecurrentScanBuffers) {
        let b = buffers
        for o in [b.gates, b.hiddenWeight, b.states, b.result] { check(o, "recurrent") }
        for o in [b.hiddenBias, b.cells, b.hiddenGates, b.activations, b.cellTanh, b.lengths, b.tokens] { check(o, "recurrent") }
        let width = cell.gateCount * h
        let gates = b.gates.floats, w = b.hiddenWeight.floats, bias = b.hiddenBias?.floats
        let tokens = b.tokens?.int64s
        if let tokens {
            let rows = b.gates.layout.shape[0]
            for i in 0..<(steps * batch) {
                require(tokens[i] >= 0 && tokens[i] < Int64(rows), "recurrent: token \(tokens[i]) is out of range for a table of \(rows) rows")
            }
        }
        let states = b.states.floats, cells = b.cells?.floats, hiddenGates = b.hiddenGates?.floats
        let act = b.activations?.floats, cellTanh = b.cellTanh?.floats, result = b.result.floats
        let lengths = b.lengths?.int64s
        // Every step multiplies by W_hhᵀ: packed once here, not by BLAS on each of the steps.
        let packedWeight = PackedMatrix(w, ld: h, transposed: true, k: h, n: width)
        let wp = packedWeight.floats
        Parallel.forChunks(batch) { _, rows in
            let b0 = rows.lowerBound, nb = rows.count
            // Row offsets of this chunk inside a (·, B, width) or (·, B, H) slab at index i.
            func wide(_ i: Int) -> Int { (i * batch + b0) * width }
            func narrow(_ i: Int) -> Int { (i * batch + b0) * h }
            // LSTM and RNN: one step's pre-activations, input projection plus hidden product, formed by the GEMM.
            // GRU with tokens: the step's table rows gathered, since its cell kernel reads them as one block.
            let scratch = TensorBuffer(byteCount: nb * width * MemoryLayout<Float>.size)
            let preactivation = scratch.floats
            // Where each row of the step's input projection starts: in the projections, or the token's table row.
            let inputRows = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: nb)
            defer { inputRows.deallocate() }
            for k in 0..<steps {
                let t = reverse ? steps - 1 - k : k
                let previous = states + narrow(k), next = states + narrow(k + 1)
                for r in 0..<nb {
                    inputRows[r] = UnsafePointer(gates + (tokens.map { Int($0[t * batch + b0 + r]) * width } ?? wide(t) + r * width))
                }
                switch cell {
                case .lstm:
                    ck_gemm_packed_rows(nb, width, h, previous, h, wp, preactivation, width, inputRows)
                    ck_lstm_cell(preactivation, cells! + narrow(k), next, cells! + narrow(k + 1), act! + wide(k),
                                 cellTanh! + narrow(k), nb, h)
                case .gru:
                    ck_gemm_packed(nb, width, h, previous, h, wp, hiddenGates! + wide(k), width, bias, 0)
                    var input = UnsafePointer(gates + wide(t))
                    if tokens != nil {
                        for r in 0..<nb { (preactivation + r * width).update(from: inputRows[r]!, count: width) }
                        input = UnsafePointer(preactivation)
                    }
                    ck_gru_cell(input, hiddenGates! + wide(k), previous, next, act! + wide(k), nb, h)
                case .rnnTanh, .rnnReLU:
                    ck_gemm_packed_rows(nb, width, h, previous, h, wp, preactivation, width, inputRows)
                    if cell == .rnnTanh { ck_tanh(preactivation, next, nb * h) }
                    else { for i in 0..<(nb * h) { next[i] = Swift.max(preactivation[i], 0) } }
                }
                let output = result + narrow(t)
                for r in 0..<nb {
                    if let lengths, Int64(t) >= lengths[b0 + r] {
                        // A finished sequence keeps its state and outputs zero.
                        (next + r * h).update(from: previous + r * h, count: h)
                        if let cells { (cells + narrow(k + 1) + r * h).update(from: cells + narrow(k) + r * h, count: h) }
                        (output + r * h).update(repeating: 0, count: h)
                    } else {
                        (output + r * h).update(from: next + r * h, count: h)
                    }
                }
            }
            (result + narrow(steps)).update(from: states + narrow(steps), count: nb * h)
            if let cells { (result + narrow(steps + 1)).update(from: cells + narrow(steps), count: nb * h) }
            withExtendedLifetime(scratch) {}
        }
        withExtendedLifetime(packedWeight) {}
    }

    public func recurrentScanBackward(_ cell: RecurrentCell, steps: Int, batch: Int, hidden h: Int, reverse: Bool,
                                      buffers: RecurrentScanBuffers, gradients: RecurrentScanGradients) {
        let b = buffers, d = gradients
        for o in [b.hiddenWeight, b.states, d.result, d.hiddenSide, d.inputSide, d.initialHidden] { check(o, "recurrent backward") }
        for o in [b.cells, b.hiddenGates, b.activations, b.cellTanh, b.lengths, d.initialCell] { check(o, "recurrent backward") }
        let width = cell.gateCount * h
        let w = b.hiddenWeight.floats, states = b.states.floats, cells = b.cells?.floats, hiddenGates = b.hiddenGates?.floats
        let act = b.activations?.floats, cellTanh = b.cellTanh?.floats, lengths = b.lengths?.int64s
        let g = d.result.floats, hiddenSide = d.hiddenSide.floats, inputSide = d.inputSide.floats
        let dh0 = d.initialHidden.floats, dc0 = d.initialCell?.floats
        // Every step multiplies the gate gradients by W_hh: packed once.
        let packedWeight = PackedMatrix(w, ld: h, transposed: false, k: width, n: h)
        let wp = packedWeight.floats
        Parallel.forChunks(batch) { _, rows in
            let b0 = rows.lowerBound, nb = rows.count
            func wide(_ i: Int) -> Int { (i * batch + b0) * width }
            func narrow(_ i: Int) -> Int { (i * batch + b0) * h }
            // This chunk's running gradients of the state (and cell) after the current step.
            let scratch = TensorBuffer(byteCount: 5 * nb * h * MemoryLayout<Float>.size)
            withExtendedLifetime(scratch) {
                let dh = scratch.floats, dc = dh + nb * h, total = dc + nb * h, dhPrevious = total + nb * h, dcPrevious = dhPrevious + nb * h
                dh.update(from: g + narrow(steps), count: nb * h)
                if cell == .lstm { dc.update(from: g + narrow(steps + 1), count: nb * h) }
                for k in stride(from: steps - 1, through: 0, by: -1) {
                    let t = reverse ? steps - 1 - k : k
                    func active(_ r: Int) -> Bool { lengths.map { Int64(t) < $0[b0 + r] } ?? true }
                    // The step's output gradient reaches its state only where the sequence was running.
                    let out = g + narrow(t)
                    for r in 0..<nb {
                        let row = r * h
                        if active(r) { for i in 0..<h { total[row + i] = dh[row + i] + out[row + i] } }
                        else { (total + row).update(from: dh + row, count: h) }
                    }
                    let dGates = hiddenSide + wide(k)
                    switch cell {
                    case .lstm:
                        ck_lstm_cell_backward(act! + wide(k), cells! + narrow(k), cellTanh! + narrow(k), total, dc, dGates, dcPrevious, nb, h)
                    case .gru:
                        ck_gru_cell_backward(act! + wide(k), hiddenGates! + wide(k), states + narrow(k), total, inputSide + wide(t), dGates,
                                             dhPrevious, nb, h)
                    case .rnnTanh:
                        ck_tanh_backward(states + narrow(k + 1), total, dGates, nb * h)
                    case .rnnReLU:
                        let y = states + narrow(k + 1)
                        for i in 0..<(nb * h) { dGates[i] = y[i] > 0 ? total[i] : 0 }
                    }
                    if lengths != nil {
                        // A finished sequence's step did nothing: no gate gradient; its state's gradient passes through.
                        for r in 0..<nb where !active(r) {
                            (dGates + r * width).update(repeating: 0, count: width)
                            if cell == .gru { (inputSide + wide(t) + r * width).update(repeating: 0, count: width) }
                            if cell == .lstm { (dcPrevious + r * h).update(from: dc + r * h, count: h) }
                        }
                    }
                    ck_gemm_packed(nb, h, width, dGates, width, wp, dhPrevious, h, cell == .gru ? dhPrevious : nil, h)
                    if lengths != nil {
                        for r in 0..<nb where !active(r) { (dhPrevious + r * h).update(from: total + r * h, count: h) }
                    }
                    // LSTM and RNN: the input projection's gradient is the gate gradient, in time order.
                    if cell != .gru && reverse { (inputSide + wide(t)).update(from: dGates, count: nb * width) }
                    dh.update(from: dhPrevious, count: nb * h)
                    if cell == .lstm { dc.update(from: dcPrevious, count: nb * h) }
                }
                for r in 0..<nb {
                    (dh0 + (b0 + r) * h).update(from: dh + r * h, count: h)
                    if let dc0 { (dc0 + (b0 + r) * h).update(from: dc + r * h, count: h) }
                }
            }
        }
        // Forward LSTM/RNN scans store the gate gradients in time order already: the input side is the same buffer.
        if cell != .gru && !reverse && d.inputSide.raw != d.hiddenSide.raw {
            d.inputSide.raw.copyMemory(from: d.hiddenSide.raw, byteCount: steps * batch * width * MemoryLayout<Float>.size)
        }
        withExtendedLifetime(packedWeight) {}
    }
}
