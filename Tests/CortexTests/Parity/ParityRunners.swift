// How each PyTorch op of the reference cases is computed with Cortex: op name → function of the
// case's inputs (by name) and attributes, returning the outputs in the manifest's order.
import Cortex

/// Inputs arrive by name; the expected outputs too, as "expected/<name>", for runners that need
/// only their sizes (how many epochs a schedule ran).
typealias ParityRunner = (ParityCase, [String: Tensor]) throws -> [Tensor]

/// Ops whose cases belong to later issues: skipped, never failed, until their runners exist.
let laterWorkOps: Set<String> = []

/// Compares computed scalar metrics with the case's expected attributes (its own tolerances).
private func checkScalars(_ c: ParityCase, _ computed: [String: Double]) throws {
    for (key, value) in computed.sorted(by: { $0.key < $1.key }) {
        guard let expected = c.attributes[key] as? Double else { throw ParityError("attribute \(key) missing") }
        guard abs(value - expected) <= Double(c.atol) + Double(c.rtol) * abs(expected) else {
            throw ParityError("\(key): got \(value), expected \(expected)")
        }
    }
}

/// A fresh copy of `t` as a trainable leaf.
private func leaf(_ t: Tensor) -> Tensor {
    let copy = Tensor.zeros(t.shape)
    copy.assign(t)
    return copy.requiringGrad()
}

private func makeOptimizer(_ c: ParityCase, _ parameter: Tensor) throws -> Optimizer {
    let lr = try c.float("lr")
    let betas = (c.attributes["betas"] as? [Double]).map { (Float($0[0]), Float($0[1])) } ?? (0.9, 0.999)
    let wd = try c.float("weight_decay", default: 0)
    switch c.string("optimizer", default: "") {
    case "sgd":
        return SGD([parameter], learningRate: lr, momentum: try c.float("momentum", default: 0),
                   dampening: try c.float("dampening", default: 0), weightDecay: wd, nesterov: c.bool("nesterov", default: false))
    case "adam":
        return Adam([parameter], learningRate: lr, betas: betas, eps: try c.float("eps", default: 1e-8), weightDecay: wd,
                    amsgrad: c.bool("amsgrad", default: false))
    case "adamw":
        return AdamW([parameter], learningRate: lr, betas: betas, eps: try c.float("eps", default: 1e-8), weightDecay: wd,
                     amsgrad: c.bool("amsgrad", default: false))
    case "rmsprop":
        return RMSprop([parameter], learningRate: lr, alpha: try c.float("alpha", default: 0.99), eps: try c.float("eps", default: 1e-8),
                       weightDecay: wd, momentum: try c.float("momentum", default: 0), centered: c.bool("centered", default: false))
    case "adagrad":
        return Adagrad([parameter], learningRate: lr, weightDecay: wd,
                       initialAccumulatorValue: try c.float("initial_accumulator_value", default: 0), eps: try c.float("eps", default: 1e-10))
    case let other:
        throw ParityError("unknown optimizer '\(other)'")
    }
}

private func makeSchedule(_ c: ParityCase, _ optimizer: Optimizer) throws -> LearningRateSchedule {
    switch c.string("schedule", default: "") {
    case "step": return StepLR(optimizer, stepSize: try c.int("step_size"), gamma: try c.float("gamma"))
    case "exponential": return ExponentialLR(optimizer, gamma: try c.float("gamma"))
    case "cosine": return CosineAnnealingLR(optimizer, tMax: try c.int("T_max"), etaMin: try c.float("eta_min", default: 0))
    case let other: throw ParityError("unknown schedule '\(other)'")
    }
}

private func input(_ tensors: [String: Tensor], _ name: String) throws -> Tensor {
    guard let t = tensors[name] else { throw ParityError("missing input \(name)") }
    return t
}

private func unary(_ f: @escaping (Tensor) -> Tensor) -> ParityRunner {
    { _, t in [f(try input(t, "input"))] }
}

private func binary(_ f: @escaping (Tensor, Tensor) -> Tensor) -> ParityRunner {
    { _, t in [f(try input(t, "input"), try input(t, "other"))] }
}

private func reduction(_ c: ParityCase) throws -> Reduction {
    guard let r = Reduction(rawValue: c.string("reduction", default: "mean")) else { throw ParityError("unknown reduction") }
    return r
}

private func lossPair(_ f: @escaping (Tensor, Tensor, Reduction) -> Tensor) -> ParityRunner {
    { c, t in [f(try input(t, "input"), try input(t, "target"), try reduction(c))] }
}

// Read-only after initialisation; the closures capture nothing mutable.
nonisolated(unsafe) let parityRunners: [String: ParityRunner] = coreRunners.merging(sequenceRunners) { first, _ in first }

// Read-only after initialisation; the closures capture nothing mutable.
nonisolated(unsafe) private let coreRunners: [String: ParityRunner] = [
    // Element-wise, one input.
    "exp": unary { $0.exp() }, "log": unary { $0.log() }, "sqrt": unary { $0.sqrt() },
    "tanh": unary { $0.tanh() }, "sigmoid": unary { $0.sigmoid() }, "relu": unary(relu),
    "leaky_relu": { c, t in [leakyRelu(try input(t, "input"), negativeSlope: try c.float("negative_slope"))] },
    "elu": { c, t in [elu(try input(t, "input"), alpha: try c.float("alpha"))] },
    "gelu": { c, t in
        [gelu(try input(t, "input"), approximate: GELUApproximation(rawValue: c.string("approximate", default: "none")) ?? .none)]
    },
    "silu": unary(silu),
    "softplus": { c, t in [softplus(try input(t, "input"), beta: try c.float("beta"), threshold: try c.float("threshold"))] },
    "abs": unary { $0.abs() }, "neg": unary { -$0 }, "square": unary { $0.square() },
    "reciprocal": unary { $0.reciprocal() }, "sin": unary { $0.sin() }, "cos": unary { $0.cos() },
    "clamp": { c, t in [try input(t, "input").clamped(min: try c.float("min"), max: try c.float("max"))] },
    // Element-wise, broadcasting.
    "add": binary(+), "sub": binary(-), "mul": binary(*), "div": binary(/),
    "maximum": binary { $0.maximum($1) }, "minimum": binary { $0.minimum($1) },
    "pow": { c, t in
        let x = try input(t, "input")
        if let e = t["exponent"] { return [x.pow(e)] }
        return [x.pow(try c.float("exponent"))]
    },
    "where": { _, t in [Tensor.where(try input(t, "condition"), try input(t, "input"), try input(t, "other"))] },
    // Reductions.
    "sum": { c, t in [try input(t, "input").sum(dims: c.optionalInts("dim"), keepDim: c.bool("keepdim", default: false))] },
    "mean": { c, t in [try input(t, "input").mean(dims: c.optionalInts("dim"), keepDim: c.bool("keepdim", default: false))] },
    "amax": { c, t in [try input(t, "input").amax(dims: c.optionalInts("dim"), keepDim: c.bool("keepdim", default: false))] },
    "amin": { c, t in [try input(t, "input").amin(dims: c.optionalInts("dim"), keepDim: c.bool("keepdim", default: false))] },
    "var": { c, t in
        [try input(t, "input").variance(dims: c.optionalInts("dim"), correction: c.int("correction", default: 1),
                                        keepDim: c.bool("keepdim", default: false))]
    },
    "logsumexp": { c, t in [try input(t, "input").logSumExp(dims: try c.ints("dim"), keepDim: c.bool("keepdim", default: false))] },
    "argmax": { c, t in [try input(t, "input").argmax(dim: c.attributes["dim"] as? Int, keepDim: c.bool("keepdim", default: false))] },
    "cumsum": { c, t in [try input(t, "input").cumsum(try c.int("dim"))] },
    // Shapes and indexing.
    "permute": { c, t in [try input(t, "input").permuted(try c.ints("dims"))] },
    "reshape": { c, t in [try input(t, "input").reshaped(try c.ints("shape"))] },
    "cat": { c, t in [Tensor.cat(try c.inputs.map { try input(t, $0) }, dim: try c.int("dim"))] },
    "stack": { c, t in [Tensor.stack(try c.inputs.map { try input(t, $0) }, dim: try c.int("dim"))] },
    "slice": { c, t in
        guard let ranges = c.attributes["ranges"] as? [[Int]] else { throw ParityError("slice: ranges missing") }
        var x = try input(t, "input")
        for (axis, r) in ranges.enumerated() { x = x.sliced(axis, start: r[0], end: r[1], step: r[2]) }
        return [x]
    },
    "pad": { c, t in
        guard let mode = PaddingMode(rawValue: c.string("mode", default: "constant")) else { throw ParityError("pad: bad mode") }
        return [pad(try input(t, "input"), try c.ints("pad"), mode: mode, value: try c.float("value", default: 0))]
    },
    "gather": { c, t in [try input(t, "input").gather(try c.int("dim"), try input(t, "index"))] },
    "index_select": { c, t in [try input(t, "input").indexSelect(try c.int("dim"), try input(t, "index"))] },
    "masked_fill": { c, t in [try input(t, "input").maskedFill(try input(t, "mask"), try c.float("value"))] },
    "tril": { c, t in [try input(t, "input").tril(diagonal: c.int("diagonal", default: 0))] },
    // Linear algebra.
    "matmul": binary { $0.matmul($1) },
    "linear": { _, t in [linear(try input(t, "input"), weight: try input(t, "weight"), bias: t["bias"])] },
    "softmax": { c, t in [try input(t, "input").softmax(dim: try c.int("dim"))] },
    "log_softmax": { c, t in [try input(t, "input").logSoftmax(dim: try c.int("dim"))] },
    // Convolution and pooling.
    "conv2d": { c, t in
        [conv2d(try input(t, "input"), weight: try input(t, "weight"), bias: t["bias"], stride: try c.ints("stride"),
                padding: try c.ints("padding"), dilation: try c.ints("dilation"), groups: try c.int("groups"))]
    },
    "conv1d": { c, t in
        [conv1d(try input(t, "input"), weight: try input(t, "weight"), bias: t["bias"], stride: try c.ints("stride")[0],
                padding: try c.ints("padding")[0], dilation: try c.ints("dilation")[0], groups: try c.int("groups"))]
    },
    "conv_transpose2d": { c, t in
        [convTranspose2d(try input(t, "input"), weight: try input(t, "weight"), bias: t["bias"], stride: try c.ints("stride"),
                         padding: try c.ints("padding"), outputPadding: try c.ints("output_padding"),
                         dilation: try c.ints("dilation"), groups: try c.int("groups"))]
    },
    "max_pool2d": { c, t in
        [maxPool2d(try input(t, "input"), kernelSize: try c.ints("kernel_size"), stride: c.optionalInts("stride"),
                   padding: try c.ints("padding"))]
    },
    "avg_pool2d": { c, t in
        [avgPool2d(try input(t, "input"), kernelSize: try c.ints("kernel_size"), stride: c.optionalInts("stride"),
                   padding: try c.ints("padding"), countIncludePad: c.bool("count_include_pad", default: true))]
    },
    "adaptive_avg_pool2d": { c, t in [adaptiveAvgPool2d(try input(t, "input"), outputSize: try c.ints("output_size"))] },
    // Normalisation.
    "batch_norm": { c, t in
        let x = try input(t, "input")
        let channels = x.shape[1]
        let training = c.bool("training", default: true)
        if training {
            let mean = Tensor.zeros([channels]), variance = Tensor.ones([channels])
            let y = batchNorm(x, runningMean: mean, runningVar: variance, weight: t["weight"], bias: t["bias"], training: true,
                              momentum: try c.float("momentum", default: 0.1), eps: try c.float("eps", default: 1e-5))
            return c.outputs.count == 3 ? [y, mean, variance] : [y]
        }
        return [batchNorm(x, runningMean: try input(t, "running_mean"), runningVar: try input(t, "running_var"), weight: t["weight"],
                          bias: t["bias"], training: false, eps: try c.float("eps", default: 1e-5))]
    },
    "layer_norm": { c, t in
        [layerNorm(try input(t, "input"), normalizedShape: try c.ints("normalized_shape"), weight: t["weight"], bias: t["bias"],
                   eps: try c.float("eps", default: 1e-5))]
    },
    "group_norm": { c, t in
        [groupNorm(try input(t, "input"), numGroups: try c.int("num_groups"), weight: t["weight"], bias: t["bias"],
                   eps: try c.float("eps", default: 1e-5))]
    },
    "embedding": { _, t in [embedding(try input(t, "input"), weight: try input(t, "weight"))] },
    "scaled_dot_product_attention": { c, t in
        [scaledDotProductAttention(query: try input(t, "query"), key: try input(t, "key"), value: try input(t, "value"),
                                   isCausal: c.bool("is_causal", default: false))]
    },
    // Optimisation.
    "optimizer": { c, t in
        let parameter = leaf(try input(t, "param"))
        let optimizer = try makeOptimizer(c, parameter)
        var trajectory: [Tensor] = []
        for g in try input(t, "grads").split(1) {
            optimizer.zeroGrad()
            parameter.grad = g.squeezed(0).contiguous()
            optimizer.step()
            trajectory.append(parameter.detach().contiguous().to(.float32) * 1)
        }
        return [Tensor.stack(trajectory)]
    },
    "lr_schedule": { c, t in
        let optimizer = SGD([Tensor.zeros([1]).requiringGrad()], learningRate: try c.float("base_lr"))
        let schedule = try makeSchedule(c, optimizer)
        let epochs = try input(t, "expected/lr").count
        var rates: [Float] = []
        for _ in 0..<epochs {
            rates.append(optimizer.learningRate)
            optimizer.step()
            schedule.step()
        }
        return [Tensor(rates)]
    },
    "clip_grad_norm": { c, t in
        let grads = [try input(t, "grad0"), try input(t, "grad1")]
        let parameters = grads.map { g -> Tensor in
            let p = Tensor.zeros(g.shape).requiringGrad()
            p.grad = leaf(g).detach()
            return p
        }
        let norm = clipGradNorm(parameters, maxNorm: try c.float("max_norm"), normType: try c.float("norm_type", default: 2))
        return parameters.map { $0.grad! } + [norm.reshaped([1])]
    },
    // Metrics (scikit-learn's numbers).
    "metrics_binary": { c, t in
        let truth = try input(t, "y_true").integers, scores = try input(t, "y_score").scalars
        let roc = try rocCurve(yTrue: truth, scores: scores)
        // The fixture's log loss clips scores to [1e-6, 1 − 1e-6] before calling sklearn.
        let clipped = scores.map { Swift.min(Swift.max(Double($0), 1e-6), 1 - 1e-6) }
        try checkScalars(c, [
            "roc_auc": try rocAUC(yTrue: truth, scores: scores),
            "average_precision": try averagePrecision(yTrue: truth, scores: scores),
            "log_loss": try logLoss(yTrue: truth, probabilities: clipped),
            "accuracy_at_0.5": try accuracy(yTrue: truth, yPred: scores.map { $0 >= 0.5 ? 1 : 0 }),
        ])
        return [Tensor(roc.fpr.map(Float.init)), Tensor(roc.tpr.map(Float.init))]
    },
    "metrics_multiclass": { c, t in
        let truth = try input(t, "y_true").integers, predicted = try input(t, "y_pred").integers
        let classes = try c.int("num_classes")
        var scalars = ["accuracy": try accuracy(yTrue: truth, yPred: predicted),
                       "cohen_kappa": try cohenKappa(yTrue: truth, yPred: predicted)]
        for (name, average) in [("macro", Average.macro), ("micro", .micro), ("weighted", .weighted)] {
            let scores = try precisionRecallF1(yTrue: truth, yPred: predicted, average: average)
            scalars["precision_\(name)"] = scores.precision
            scalars["recall_\(name)"] = scores.recall
            scalars["f1_\(name)"] = scores.f1
        }
        try checkScalars(c, scalars)
        let matrix = try confusionMatrix(yTrue: truth, yPred: predicted, labels: Array(0..<classes))
        return [Tensor(matrix.counts.flatMap { $0 }, shape: [classes, classes])]
    },
    "metrics_regression": { c, t in
        let truth = try input(t, "y_true").scalars, predicted = try input(t, "y_pred").scalars
        try checkScalars(c, [
            "mse": try meanSquaredError(yTrue: truth, yPred: predicted),
            "rmse": try rootMeanSquaredError(yTrue: truth, yPred: predicted),
            "mae": try meanAbsoluteError(yTrue: truth, yPred: predicted),
            "r2": try r2Score(yTrue: truth, yPred: predicted),
        ])
        return []
    },
    // Losses.
    "cross_entropy": { c, t in
        [crossEntropy(try input(t, "input"), try input(t, "target"), weight: t["weight"], ignoreIndex: c.int("ignore_index", default: -100),
                      reduction: try reduction(c), labelSmoothing: try c.float("label_smoothing", default: 0))]
    },
    "nll_loss": { c, t in
        [nllLoss(try input(t, "input"), try input(t, "target"), weight: t["weight"], ignoreIndex: c.int("ignore_index", default: -100),
                 reduction: try reduction(c))]
    },
    "binary_cross_entropy_with_logits": { c, t in
        [binaryCrossEntropyWithLogits(try input(t, "input"), try input(t, "target"), weight: t["weight"], posWeight: t["pos_weight"],
                                      reduction: try reduction(c))]
    },
    "binary_cross_entropy": { c, t in
        [binaryCrossEntropy(try input(t, "input"), try input(t, "target"), weight: t["weight"], reduction: try reduction(c))]
    },
    "mse_loss": lossPair { mseLoss($0, $1, reduction: $2) },
    "l1_loss": lossPair { l1Loss($0, $1, reduction: $2) },
    "smooth_l1_loss": { c, t in
        [smoothL1Loss(try input(t, "input"), try input(t, "target"), beta: try c.float("beta", default: 1), reduction: try reduction(c))]
    },
    "huber_loss": { c, t in
        [huberLoss(try input(t, "input"), try input(t, "target"), delta: try c.float("delta", default: 1), reduction: try reduction(c))]
    },
    "kl_div": { c, t in
        let name = c.string("reduction", default: "mean")
        guard let r = KLReduction(rawValue: name == "batchmean" ? "batchMean" : name) else { throw ParityError("kl_div: bad reduction") }
        return [klDiv(try input(t, "input"), try input(t, "target"), reduction: r, logTarget: c.bool("log_target", default: false))]
    },
    "cosine_similarity": { c, t in
        [cosineSimilarity(try input(t, "x1"), try input(t, "x2"), dim: c.int("dim", default: 1), eps: try c.float("eps", default: 1e-8))]
    },
]
