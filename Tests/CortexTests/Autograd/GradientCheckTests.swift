// Every differentiable op against central finite differences, on random inputs and random shapes.
import Testing
import Cortex
@testable import CortexCore

/// One op to check: a name, inputs drawn from a seeded generator, and the function of them.
struct GradCase: CustomTestStringConvertible, @unchecked Sendable {
    let name: String
    let make: (RandomGenerator) -> [Tensor]
    let function: ([Tensor]) -> Tensor
    var testDescription: String { name }

    init(_ name: String, _ make: @escaping (RandomGenerator) -> [Tensor], _ function: @escaping ([Tensor]) -> Tensor) {
        self.name = name
        self.make = make
        self.function = function
    }
}

/// A size in lo...hi drawn from the generator, so every run of a case sees its own random shapes.
private func size(_ g: RandomGenerator, _ lo: Int, _ hi: Int) -> Int { lo + Int(g.next() % UInt64(hi - lo + 1)) }
private func randn(_ g: RandomGenerator, _ shape: [Int]) -> Tensor { Tensor.randn(shape, generator: g) }
/// Values in [0.5, 1.5): away from the kinks and poles of log, sqrt, reciprocal and pow.
private func positive(_ g: RandomGenerator, _ shape: [Int]) -> Tensor { Tensor.uniform(shape, low: 0.5, high: 1.5, generator: g) }

private func unaryCase(_ name: String, positiveInput: Bool = false, _ f: @escaping (Tensor) -> Tensor) -> GradCase {
    GradCase(name, { g in
        let shape = [size(g, 1, 4), size(g, 2, 6)]
        return [positiveInput ? positive(g, shape) : randn(g, shape)]
    }, { f($0[0]) })
}

private func binaryCase(_ name: String, positiveOther: Bool = false, _ f: @escaping (Tensor, Tensor) -> Tensor) -> GradCase {
    GradCase(name, { g in
        let a = size(g, 2, 3), b = size(g, 2, 5)
        return [randn(g, [a, 1, b]), positiveOther ? positive(g, [3, b]) : randn(g, [3, b])]
    }, { f($0[0], $0[1]) })
}

/// recurrentScan of `cell` over 3 steps of a batch of 2: the gradients of the input projection, the hidden
/// weight (and GRU's hidden bias) and the initial states, through the packed result (outputs, last state).
private func recurrentCase(_ cell: RecurrentCell, reverse: Bool, padded: Bool) -> GradCase {
    let name = "recurrent \(cell.rawValue)\(reverse ? " reverse" : "")\(padded ? " padded" : "")"
    return GradCase(name, { g in
        let h = size(g, 2, 3), width = cell.gateCount * h
        var inputs = [randn(g, [3, 2, width]), randn(g, [width, h]) * 0.5, randn(g, [2, h])]
        if cell == .gru { inputs.append(randn(g, [width])) }
        if cell == .lstm { inputs.append(randn(g, [2, h])) }
        return inputs
    }, { t in
        let scan = recurrentScan(cell, inputProjection: t[0], hiddenWeight: t[1], hiddenBias: cell == .gru ? t[3] : nil,
                                 initialHidden: t[2], initialCell: cell == .lstm ? t[3] : nil,
                                 lengths: padded ? Tensor([3, 2]) : nil, reverse: reverse)
        var parts = [scan.output.reshaped([-1]), scan.hidden.reshaped([-1])]
        if let c = scan.cell { parts.append(c.reshaped([-1])) }
        return Tensor.cat(parts)
    })
}

let gradCases: [GradCase] = [
    // Arithmetic with broadcasting.
    binaryCase("add") { $0 + $1 }, binaryCase("sub") { $0 - $1 }, binaryCase("mul") { $0 * $1 },
    binaryCase("div", positiveOther: true) { $0 / $1 },
    binaryCase("maximum") { $0.maximum($1) }, binaryCase("minimum") { $0.minimum($1) },
    GradCase("pow tensor", { g in [positive(g, [3, 4]), randn(g, [3, 4])] }, { $0[0].pow($0[1]) }),
    unaryCase("pow scalar") { $0.pow(3) },
    unaryCase("scalar arithmetic") { (2 - $0 * 3 + 1) / 4 },
    unaryCase("scalar divided by tensor", positiveInput: true) { 2 / $0 },
    // Element-wise math.
    unaryCase("exp") { $0.exp() }, unaryCase("log", positiveInput: true) { $0.log() },
    unaryCase("sqrt", positiveInput: true) { $0.sqrt() }, unaryCase("abs") { $0.abs() },
    unaryCase("sin") { $0.sin() }, unaryCase("cos") { $0.cos() }, unaryCase("neg") { -$0 },
    unaryCase("square") { $0.square() }, unaryCase("reciprocal", positiveInput: true) { $0.reciprocal() },
    unaryCase("clamp") { $0.clamped(min: -0.5, max: 0.7) },
    // Activations.
    unaryCase("relu", relu), unaryCase("leaky_relu") { leakyRelu($0, negativeSlope: 0.1) }, unaryCase("elu") { elu($0) },
    unaryCase("gelu") { gelu($0) }, unaryCase("gelu tanh") { gelu($0, approximate: .tanh) }, unaryCase("silu", silu),
    unaryCase("sigmoid") { $0.sigmoid() }, unaryCase("tanh") { $0.tanh() }, unaryCase("softplus") { softplus($0, beta: 2) },
    // Reductions.
    GradCase("sum dims", { g in [randn(g, [size(g, 2, 3), size(g, 2, 4), size(g, 2, 3)])] }, { $0[0].sum(dims: [0, 2]) }),
    GradCase("sum keepdim", { g in [randn(g, [size(g, 2, 3), size(g, 2, 4)])] }, { $0[0].sum(dim: 1, keepDim: true) }),
    GradCase("mean", { g in [randn(g, [size(g, 2, 3), size(g, 2, 4)])] }, { $0[0].mean(dim: 0) }),
    GradCase("amax", { g in [randn(g, [size(g, 2, 3), size(g, 2, 5)])] }, { $0[0].amax(dim: -1) }),
    GradCase("amin", { g in [randn(g, [size(g, 2, 3), size(g, 2, 5)])] }, { $0[0].amin(dim: 0, keepDim: true) }),
    GradCase("var", { g in [randn(g, [size(g, 2, 3), size(g, 3, 5)])] }, { $0[0].variance(dims: [1]) }),
    GradCase("logsumexp", { g in [randn(g, [size(g, 2, 3), size(g, 2, 5)])] }, { $0[0].logSumExp(dim: 1) }),
    GradCase("cumsum", { g in [randn(g, [size(g, 2, 3), size(g, 2, 5)])] }, { $0[0].cumsum(1) }),
    // Views and joins.
    GradCase("reshape", { g in [randn(g, [2, 3, size(g, 2, 4)])] }, { $0[0].reshaped([-1, 2]) }),
    GradCase("permute", { g in [randn(g, [2, 3, size(g, 2, 4)])] }, { $0[0].permuted([2, 0, 1]) * 1 }),
    GradCase("slice with step", { g in [randn(g, [6, size(g, 5, 7)])] }, { $0[0].sliced(0, start: 1, end: 5, step: 2).sliced(1, start: 2) }),
    GradCase("expand", { g in [randn(g, [3, 1])] }, { $0[0].expanded(to: [2, 3, 4]) * 1 }),
    GradCase("squeeze/unsqueeze", { g in [randn(g, [3, 1, 2])] }, { $0[0].squeezed().unsqueezed(0).unsqueezed(-1) * 1 }),
    GradCase("cat", { g in [randn(g, [2, 3]), randn(g, [2, size(g, 1, 4)])] }, { Tensor.cat($0, dim: 1) }),
    GradCase("stack", { g in [randn(g, [2, 3]), randn(g, [2, 3])] }, { Tensor.stack($0, dim: 1) }),
    GradCase("split", { g in [randn(g, [5, 3])] }, { x in let p = x[0].split(2); return p[0] * p[1] + p[2].sum() }),
    GradCase("pad constant", { g in [randn(g, [2, 3, 4])] }, { pad($0[0], [1, 2, 0, 1], value: 0.5) }),
    GradCase("pad reflect", { g in [randn(g, [2, 5])] }, { pad($0[0], [2, 1], mode: .reflect) }),
    GradCase("pad replicate", { g in [randn(g, [2, 4])] }, { pad($0[0], [1, 3], mode: .replicate) }),
    GradCase("gather", { g in [randn(g, [4, 6])] }, { $0[0].gather(1, Tensor([0, 5, 5, 2, 1, 1, 3, 0], shape: [4, 2])) }),
    GradCase("index_select", { g in [randn(g, [5, 3])] }, { $0[0].indexSelect(0, Tensor([4, 0, 4])) }),
    GradCase("masked_fill", { g in [randn(g, [2, 3])] }, { $0[0].maskedFill(Tensor([true, false, true]), -2) }),
    GradCase("where", { g in [randn(g, [2, 3]), randn(g, [1, 3])] }, { Tensor.where(Tensor([true, false, false, true, true, false], shape: [2, 3]), $0[0], $0[1]) }),
    GradCase("tril/triu", { g in [randn(g, [4, 4])] }, { $0[0].tril(diagonal: 1) + $0[0].triu(diagonal: 2) }),
    // Linear algebra.
    GradCase("matmul 2-D", { g in let k = size(g, 2, 5); return [randn(g, [3, k]), randn(g, [k, 4])] }, { $0[0].matmul($0[1]) }),
    GradCase("matmul transposed", { g in [randn(g, [4, 3]), randn(g, [5, 4])] }, { $0[0].T.matmul($0[1].T) }),
    GradCase("matmul batched broadcast", { g in [randn(g, [2, 1, 3, 4]), randn(g, [3, 4, 2])] }, { $0[0].matmul($0[1]) }),
    // Per-head slices of one projection against transposed keys: strided matrices read in place by the batched GEMM.
    GradCase("matmul of head slices", { g in [randn(g, [2, 5, 12])] }, { t in
        func head(_ part: Int) -> Tensor { t[0].sliced(2, start: part * 6, end: part * 6 + 6).reshaped([2, 5, 2, 3]).permuted([0, 2, 1, 3]) }
        return head(0).matmul(head(1).transposed(-2, -1))
    }),
    GradCase("matmul 3-D by 2-D", { g in [randn(g, [2, 3, 4]), randn(g, [4, 2])] }, { $0[0].matmul($0[1]) }),
    GradCase("matmul vector", { g in [randn(g, [3, 4]), randn(g, [4])] }, { $0[0].matmul($0[1]) }),
    GradCase("dot", { g in [randn(g, [5]), randn(g, [5])] }, { $0[0].matmul($0[1]) }),
    GradCase("linear", { g in [randn(g, [2, 3, 4]), randn(g, [5, 4]), randn(g, [5])] }, { linear($0[0], weight: $0[1], bias: $0[2]) }),
    GradCase("softmax", { g in [randn(g, [size(g, 2, 3), size(g, 2, 5), 2])] }, { $0[0].softmax(dim: 1) }),
    GradCase("log_softmax", { g in [randn(g, [size(g, 2, 3), size(g, 2, 5)])] }, { $0[0].logSoftmax(dim: -1) }),
    // Convolution and pooling.
    GradCase("conv2d stride padding dilation", { g in [randn(g, [2, 2, 6, 7]), randn(g, [3, 2, 3, 3]), randn(g, [3])] },
             { conv2d($0[0], weight: $0[1], bias: $0[2], stride: [2, 1], padding: [1, 2], dilation: [1, 2]) }),
    GradCase("conv2d groups", { g in [randn(g, [1, 4, 5, 5]), randn(g, [4, 2, 3, 3])] },
             { conv2d($0[0], weight: $0[1], padding: [1], groups: 2) }),
    GradCase("conv1d", { g in [randn(g, [2, 3, 8]), randn(g, [2, 3, 3]), randn(g, [2])] },
             { conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1) }),
    GradCase("conv_transpose2d", { g in [randn(g, [1, 4, 3, 3]), randn(g, [4, 3, 3, 3]), randn(g, [6])] },
             { convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: [2], padding: [1], outputPadding: [1], groups: 2) }),
    GradCase("max_pool2d", { g in [randn(g, [2, 2, 5, 6])] }, { maxPool2d($0[0], kernelSize: [3], stride: [2], padding: [1]) }),
    GradCase("avg_pool2d", { g in [randn(g, [2, 2, 5, 6])] }, { avgPool2d($0[0], kernelSize: [3], stride: [2], padding: [1]) }),
    GradCase("avg_pool2d exclude pad", { g in [randn(g, [1, 2, 5, 5])] },
             { avgPool2d($0[0], kernelSize: [2], stride: [2], padding: [1], countIncludePad: false) }),
    GradCase("adaptive_avg_pool2d", { g in [randn(g, [2, 2, 7, 5])] }, { adaptiveAvgPool2d($0[0], outputSize: [3, 2]) }),
    // Normalisation, embedding, attention.
    GradCase("batch_norm train", { g in [randn(g, [4, 3, 2, 2]), positive(g, [3]), randn(g, [3])] },
             { batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true) }),
    GradCase("batch_norm eval", { g in [randn(g, [4, 3]), positive(g, [3]), randn(g, [3])] },
             { batchNorm($0[0], runningMean: Tensor([0.1, -0.2, 0.3]), runningVar: Tensor([1, 2, 0.5]), weight: $0[1], bias: $0[2], training: false) }),
    GradCase("layer_norm", { g in [randn(g, [2, 3, 5]), positive(g, [5]), randn(g, [5])] },
             { layerNorm($0[0], normalizedShape: [5], weight: $0[1], bias: $0[2]) }),
    GradCase("group_norm", { g in [randn(g, [2, 4, 3]), positive(g, [4]), randn(g, [4])] },
             { groupNorm($0[0], numGroups: 2, weight: $0[1], bias: $0[2]) }),
    // The padding row's zero gradient is a convention finite differences cannot see; EmbeddingTests checks it.
    GradCase("embedding", { g in [randn(g, [6, 3])] }, { embedding(Tensor([1, 5, 1, 0], shape: [2, 2]), weight: $0[0]) }),
    GradCase("scaled_dot_product_attention causal", { g in [randn(g, [2, 4, 3]), randn(g, [2, 4, 3]), randn(g, [2, 4, 3])] },
             { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true) }),
    GradCase("scaled_dot_product_attention masked", { g in [randn(g, [3, 2]), randn(g, [4, 2]), randn(g, [4, 3])] },
             { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2],
                                         mask: Tensor([true, true, false, true, false, true, true, true, true, false, false, false], shape: [3, 4])) }),
    // A learned additive bias (relative positions) gets its gradient: it is added as an op, not fused away.
    GradCase("scaled_dot_product_attention learned bias", { g in [randn(g, [3, 2]), randn(g, [4, 2]), randn(g, [4, 3]), randn(g, [3, 4])] },
             { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3]) }),
    // Losses.
    GradCase("cross_entropy weighted smoothed ignore", { g in [randn(g, [5, 4])] },
             { crossEntropy($0[0], Tensor([0, 3, -100, 1, 2]), weight: Tensor([1, 2, 0.5, 1.5]), labelSmoothing: 0.1) }),
    GradCase("cross_entropy sequence", { g in [randn(g, [2, 3, 4])] }, { crossEntropy($0[0], Tensor([0, 1, 2, 2, 1, 0, 0, 1], shape: [2, 4])) }),
    GradCase("cross_entropy probabilities", { g in [randn(g, [3, 4])] },
             { crossEntropy($0[0], Tensor([0.1, 0.2, 0.3, 0.4, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25], shape: [3, 4]), labelSmoothing: 0.2) }),
    GradCase("nll_loss sum", { g in [randn(g, [4, 3])] }, { nllLoss($0[0], Tensor([2, 0, 1, 1]), reduction: .sum) }),
    GradCase("binary_cross_entropy_with_logits", { g in [randn(g, [4, 3])] },
             { binaryCrossEntropyWithLogits($0[0], Tensor([1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0] as [Float], shape: [4, 3]), posWeight: Tensor([2, 0.5, 1])) }),
    GradCase("binary_cross_entropy", { g in [Tensor.uniform([6], low: 0.1, high: 0.9, generator: g)] },
             { binaryCrossEntropy($0[0], Tensor([1, 0, 1, 1, 0, 0] as [Float])) }),
    GradCase("mse_loss", { g in [randn(g, [3, 2]), randn(g, [3, 2])] }, { mseLoss($0[0], $0[1]) }),
    // Targets at least 0.2 away from the inputs, on either side, keep the kink of |d| out of reach of ±ε.
    GradCase("l1_loss", { g in
        let x = randn(g, [3, 2])
        let offset = (Tensor.bernoulli([3, 2], probability: 0.5, generator: g) * 2 - 1) * Tensor.uniform([3, 2], low: 0.2, high: 1, generator: g)
        return [x, x + offset]
    }, { l1Loss($0[0], $0[1], reduction: .sum) }),
    GradCase("smooth_l1_loss", { g in [randn(g, [4, 2]) * 2, randn(g, [4, 2])] }, { smoothL1Loss($0[0], $0[1], beta: 0.5) }),
    GradCase("huber_loss", { g in [randn(g, [4, 2]) * 2, randn(g, [4, 2])] }, { huberLoss($0[0], $0[1], delta: 1.5) }),
    GradCase("kl_div", { g in [randn(g, [3, 4]).logSoftmax(dim: 1)] },
             { klDiv($0[0], Tensor([0.1, 0.2, 0.3, 0.4, 0, 0.5, 0.5, 0, 0.25, 0.25, 0.25, 0.25], shape: [3, 4]), reduction: .batchMean) }),
    GradCase("cosine_similarity", { g in [randn(g, [3, 5]), randn(g, [3, 5])] }, { cosineSimilarity($0[0], $0[1]) }),
    // Recurrence as one op (fused gates + backpropagation through time): every cell, both directions, and
    // a padded batch whose shorter sequence stops early.
    recurrentCase(.lstm, reverse: false, padded: false), recurrentCase(.lstm, reverse: true, padded: true),
    recurrentCase(.gru, reverse: false, padded: true), recurrentCase(.gru, reverse: true, padded: false),
    recurrentCase(.rnnTanh, reverse: false, padded: false), recurrentCase(.rnnReLU, reverse: true, padded: true),
    // The fused masked softmax: a causal mask shared by every batch row, and a per-batch padding mask.
    GradCase("masked_softmax causal", { g in [randn(g, [2, 3, size(g, 3, 5)])] }, { t in
        let n = t[0].shape[2]
        let causal = Tensor.where(Tensor.triangleMask(rows: 3, cols: n, diagonal: 0, lower: true, device: t[0].device),
                                  Tensor(0), Tensor(-Float.infinity))
        return maskedSoftmax(t[0], mask: causal)
    }),
    GradCase("masked_softmax padding", { g in [randn(g, [2, 2, 4])] }, { t in
        maskedSoftmax(t[0], mask: Tensor([0, 0, 0, -.infinity, 0, 0, -.infinity, -.infinity], shape: [2, 1, 4]))
    }),
]

@Suite("Finite-difference gradient checks")
struct GradientCheckTests {
    @Test("backward matches central differences", arguments: gradCases, [UInt64(1), 2])
    func matchesFiniteDifferences(_ gradCase: GradCase, seed: UInt64) {
        let inputs = gradCase.make(RandomGenerator(seed: seed)).map { $0.detach().requiringGrad() }
        let result = gradientCheck(gradCase.function, inputs: inputs)
        #expect(result.passed, "\(gradCase.name): \(result)")
    }

    @Test("a wrong derivative is caught")
    func detectsWrongDerivative() {
        // x·detach(x) has derivative x, not 2x: the check must notice the missing half.
        let x = Tensor([0.5, -1.5, 2]).requiringGrad()
        let result = gradientCheck({ $0[0] * $0[0].detach() }, inputs: [x])
        #expect(!result.passed)
    }
}
