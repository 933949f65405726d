// Recurrent gate kernels on the CPU: the fused C step kernels, the batch rows split across the cores
// when a step is large enough to pay for it.
import CCortexKernels

extension CPUBackend {
    /// Runs `body(first row, row count)` over `batch` rows of `width` floats each, in parallel chunks.
    private func forRows(_ batch: Int, width: Int, _ body: (Int, Int) -> Void) {
        Parallel.forRange(batch, grain: max(1, Parallel.elementwiseGrain / max(width, 1))) { rows in
            body(rows.lowerBound, rows.count)
        }
    }

    public func lstmCell(gates: Operand, cellPrevious: Operand, hidden: Operand, cell: Operand, activations: Operand,
                         cellTanh: Operand, batch: Int, hiddenSize h: Int) {
        for o in [gates, cellPrevious, hidden, cell, activations, cellTanh] { check(o, "lstm") }
        let pg = gates.floats, pc = cellPrevious.floats, ph = hidden.floats, pcell = cell.floats
        let pa = activations.floats, pt = cellTanh.floats
        forRows(batch, width: 4 * h) { b, n in
            ck_lstm_cell(pg + b * 4 * h, pc + b * h, ph + b * h, pcell + b * h, pa + b * 4 * h, pt + b * h, n, h)
        }
    }

    public func lstmCellBackward(activations: Operand, cellPrevious: Operand, cellTanh: Operand, hiddenGradient: Operand,
                                 cellGradient: Operand?, gatesGradient: Operand, cellPreviousGradient: Operand,
                                 batch: Int, hiddenSize h: Int) {
        for o in [activations, cellPrevious, cellTanh, hiddenGradient, gatesGradient, cellPreviousGradient] { check(o, "lstm backward") }
        check(cellGradient, "lstm backward")
        let pa = activations.floats, pc = cellPrevious.floats, pt = cellTanh.floats, pdh = hiddenGradient.floats
        let pdc = cellGradient?.floats, pdg = gatesGradient.floats, pdcp = cellPreviousGradient.floats
        forRows(batch, width: 4 * h) { b, n in
            ck_lstm_cell_backward(pa + b * 4 * h, pc + b * h, pt + b * h, pdh + b * h, pdc.map { $0 + b * h },
                                  pdg + b * 4 * h, pdcp + b * h, n, h)
        }
    }

    public func gruCell(inputGates: Operand, hiddenGates: Operand, hiddenPrevious: Operand, hidden: Operand, activations: Operand,
                        batch: Int, hiddenSize h: Int) {
        for o in [inputGates, hiddenGates, hiddenPrevious, hidden, activations] { check(o, "gru") }
        let px = inputGates.floats, phg = hiddenGates.floats, php = hiddenPrevious.floats, ph = hidden.floats
        let pa = activations.floats
        forRows(batch, width: 3 * h) { b, n in
            ck_gru_cell(px + b * 3 * h, phg + b * 3 * h, php + b * h, ph + b * h, pa + b * 3 * h, n, h)
        }
    }

    public func gruCellBackward(activations: Operand, hiddenGates: Operand, hiddenPrevious: Operand, hiddenGradient: Operand,
                                inputGatesGradient: Operand, hiddenGatesGradient: Operand, hiddenPreviousGradient: Operand,
                                batch: Int, hiddenSize h: Int) {
        for o in [activations, hiddenGates, hiddenPrevious, hiddenGradient, inputGatesGradient, hiddenGatesGradient,
                  hiddenPreviousGradient] { check(o, "gru backward") }
        let pa = activations.floats, phg = hiddenGates.floats, php = hiddenPrevious.floats, pdh = hiddenGradient.floats
        let pdx = inputGatesGradient.floats, pdhg = hiddenGatesGradient.floats, pdhp = hiddenPreviousGradient.floats
        forRows(batch, width: 3 * h) { b, n in
            ck_gru_cell_backward(pa + b * 3 * h, phg + b * 3 * h, php + b * h, pdh + b * h, pdx + b * 3 * h,
                                 pdhg + b * 3 * h, pdhp + b * h, n, h)
        }
    }
}
