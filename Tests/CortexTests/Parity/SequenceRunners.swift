// Runners for the recurrent, attention and Transformer reference cases: each builds the Cortex module the
// case describes, loads the case's parameters into it under PyTorch's state-dict names, and runs it. The
// module's own parameters stand in for the inputs when gradients are compared.
import Cortex

private func input(_ tensors: [String: Tensor], _ name: String) throws -> Tensor {
    guard let t = tensors[name] else { throw ParityError("missing input \(name)") }
    return t
}

/// Loads every case input that names one of `module`'s parameters (PyTorch's dotted name spelled with
/// underscores) into it, and registers the module's tensor as that input's gradient source.
private func load(_ module: Module, from tensors: [String: Tensor], _ c: ParityCase) throws {
    let named = Dictionary(uniqueKeysWithValues: module.namedParameters())
    var loaded = 0
    for (dotted, parameter) in named {
        let key = dotted.replacingOccurrences(of: ".", with: "_")
        guard let value = tensors[key] else { continue }
        guard value.shape == parameter.shape else {
            throw ParityError("parameter \(dotted): case has shape \(value.shape), module has \(parameter.shape)")
        }
        noGrad { parameter.assign(value) }
        c.gradientSources.tensors[key] = parameter
        loaded += 1
    }
    // Every parameter the case lists must exist in the module under the same name.
    let listed = (c.attributes["parameters"] as? [String]) ?? c.inputs.filter { $0.hasPrefix("weight_") || $0.hasPrefix("bias_") }
    for name in listed where named[name] == nil {
        throw ParityError("the module has no parameter named \(name) (it has \(named.keys.sorted()))")
    }
    guard loaded == named.count else { throw ParityError("loaded \(loaded) of the module's \(named.count) parameters") }
}

private func recurrent(_ c: ParityCase, _ t: [String: Tensor]) throws -> [Tensor] {
    let inputSize = try c.int("input_size"), hiddenSize = try c.int("hidden_size")
    let layers = c.int("num_layers", default: 1), bidirectional = c.bool("bidirectional", default: false)
    let batchFirst = c.bool("batch_first", default: false), bias = c.bool("bias", default: true)
    let x = try input(t, "input"), lengths = t["lengths"]
    switch c.op {
    case "lstm":
        let lstm = LSTM(inputSize, hiddenSize, numLayers: layers, bias: bias, batchFirst: batchFirst, bidirectional: bidirectional)
        try load(lstm, from: t, c)
        let state = t["h0"].map { LSTMState(hidden: $0, cell: t["c0"]!) }
        let (output, last) = lstm(x, state: state, lengths: lengths)
        return [output, last.hidden, last.cell]
    case "gru":
        let gru = GRU(inputSize, hiddenSize, numLayers: layers, bias: bias, batchFirst: batchFirst, bidirectional: bidirectional)
        try load(gru, from: t, c)
        let (output, last) = gru(x, state: t["h0"], lengths: lengths)
        return [output, last]
    default:
        let nonlinearity = RNN.Nonlinearity(rawValue: c.string("nonlinearity", default: "tanh")) ?? .tanh
        let rnn = RNN(inputSize, hiddenSize, numLayers: layers, nonlinearity: nonlinearity, bias: bias, batchFirst: batchFirst,
                      bidirectional: bidirectional)
        try load(rnn, from: t, c)
        let (output, last) = rnn(x, state: t["h0"], lengths: lengths)
        return [output, last]
    }
}

private func multiHeadAttention(_ c: ParityCase, _ t: [String: Tensor]) throws -> [Tensor] {
    let mha = MultiheadAttention(embedDim: try c.int("embed_dim"), numHeads: try c.int("num_heads"), bias: c.bool("bias", default: true),
                                 kdim: c.attributes["kdim"] as? Int, vdim: c.attributes["vdim"] as? Int,
                                 batchFirst: c.bool("batch_first", default: false))
    try load(mha, from: t, c)
    let query = try input(t, "query")
    let needWeights = c.bool("need_weights", default: false)
    let (output, weights) = mha(query: query, key: t["key"] ?? query, value: t["value"] ?? query, keyPaddingMask: t["key_padding_mask"],
                                attentionMask: t["attn_mask"], needWeights: needWeights, isCausal: c.bool("causal", default: false))
    return needWeights ? [output, weights!] : [output]
}

private func activation(_ c: ParityCase) throws -> TransformerActivation {
    guard let a = TransformerActivation(rawValue: c.string("activation", default: "relu")) else { throw ParityError("unknown activation") }
    return a
}

nonisolated(unsafe) let sequenceRunners: [String: ParityRunner] = [
    "multi_head_attention": multiHeadAttention,
    "transformer_encoder_layer": { c, t in
        let layer = TransformerEncoderLayer(dModel: try c.int("d_model"), nhead: try c.int("nhead"),
                                            dimFeedforward: try c.int("dim_feedforward"), dropout: 0, activation: try activation(c),
                                            layerNormEps: try c.float("layer_norm_eps", default: 1e-5),
                                            batchFirst: c.bool("batch_first", default: false), normFirst: c.bool("norm_first", default: false))
        try load(layer, from: t, c)
        return [layer(try input(t, "src"), keyPaddingMask: t["src_key_padding_mask"], isCausal: c.bool("causal", default: false))]
    },
    "transformer_decoder_layer": { c, t in
        let layer = TransformerDecoderLayer(dModel: try c.int("d_model"), nhead: try c.int("nhead"),
                                            dimFeedforward: try c.int("dim_feedforward"), dropout: 0, activation: try activation(c),
                                            layerNormEps: try c.float("layer_norm_eps", default: 1e-5),
                                            batchFirst: c.bool("batch_first", default: false), normFirst: c.bool("norm_first", default: false))
        try load(layer, from: t, c)
        return [layer(try input(t, "tgt"), memory: try input(t, "memory"), memoryKeyPaddingMask: t["memory_key_padding_mask"],
                      targetIsCausal: c.bool("causal", default: false))]
    },
    "transformer": { c, t in
        let model = Transformer(dModel: try c.int("d_model"), nhead: try c.int("nhead"), numEncoderLayers: try c.int("num_encoder_layers"),
                                numDecoderLayers: try c.int("num_decoder_layers"), dimFeedforward: try c.int("dim_feedforward"),
                                dropout: 0, activation: try activation(c), batchFirst: c.bool("batch_first", default: false),
                                normFirst: c.bool("norm_first", default: false))
        try load(model, from: t, c)
        return [model(try input(t, "src"), try input(t, "tgt"), targetIsCausal: c.bool("causal_tgt", default: false))]
    },
    "lstm": recurrent, "gru": recurrent, "rnn": recurrent,
    "lstmcell": { c, t in
        let cell = LSTMCell(try c.int("input_size"), try c.int("hidden_size"), bias: c.bool("bias", default: true))
        try load(cell, from: t, c)
        let state = t["h0"].map { LSTMState(hidden: $0, cell: t["c0"]!) }
        let next = cell(try input(t, "input"), state: state)
        return [next.hidden, next.cell]
    },
    "grucell": { c, t in
        let cell = GRUCell(try c.int("input_size"), try c.int("hidden_size"), bias: c.bool("bias", default: true))
        try load(cell, from: t, c)
        return [cell(try input(t, "input"), state: t["h0"])]
    },
]
