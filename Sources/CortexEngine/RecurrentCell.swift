// The recurrent cells the backend's scan kernels run: Elman (tanh or ReLU), LSTM and GRU, each with
// PyTorch's gate order.

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
    public var foldsHiddenBias: Bool { self != .gru }
}

