// Loss functions with torch.nn.functional's names, arguments and reductions. Most are compositions
// of differentiable ops, so their gradients follow from the ops they are built of.
import CortexEngine

/// How a loss combines per-element values.
public enum Reduction: String, Sendable { case mean, sum, none }

private func reduce(_ losses: Tensor, _ reduction: Reduction) -> Tensor {
    switch reduction {
    case .mean: losses.mean()
    case .sum: losses.sum()
    case .none: losses
    }
}

private func checkSameShape(_ input: Tensor, _ target: Tensor, _ op: String) {
    require(input.shape == target.shape, "\(op): input shape \(input.shape) and target shape \(target.shape) differ")
}

/// Class scores (N, C) or (N, C, d1, …) with the class axis moved last and flattened to (M, C).
private func classRows(_ input: Tensor, op: String) -> Tensor {
    if input.rank == 1 { return input.unsqueezed(0) }
    require(input.rank >= 2, "\(op): input must be (C), (N, C) or (N, C, d1, …), got shape \(input.shape)")
    var order = [0] + Array(2..<input.rank)
    order.append(1)
    return input.permuted(order).reshaped([-1, input.shape[1]])
}

/// Integer targets flattened, with ignored positions and out-of-range classes checked.
private struct ClassTargets {
    let safe: Tensor    // int64 (M), ignored positions replaced by class 0
    let valid: Tensor   // float32 (M), 1 where the target counts

    init(_ target: Tensor, input: Tensor, classes: Int, ignoreIndex: Int, op: String) {
        require(target.dtype.isInteger, "\(op): class targets must be an integer tensor, got \(target.dtype) (for probabilities pass float32 of the input's shape)")
        let expected = input.rank == 1 ? [] : [input.shape[0]] + Array(input.shape.dropFirst(2))
        require(target.shape == expected, "\(op): target shape \(target.shape) does not match input shape \(input.shape) (expected \(expected))")
        // Checked and masked on the device: reading the targets back here would stall a GPU every step.
        let flat = target.reshaped([-1]).indexTensor(op: op)
        safe = flat.makeOutput(flat.shape, dtype: .int64)
        valid = flat.makeOutput(flat.shape)
        flat.backend.classTargets(flat.operand, classes: classes, ignoreIndex: ignoreIndex, safe: safe.operand, valid: valid.operand,
                                  op: op)
    }
}

/// Negative log-likelihood of log-probabilities (N, C) or (N, C, d1, …) at integer targets, with
/// optional class `weight` and `ignoreIndex`; `mean` divides by the summed weights of counted targets.
public func nllLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                    reduction: Reduction = .mean) -> Tensor {
    negativeLogLikelihood(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, op: "nll_loss")
}

/// nll_loss, with errors reported under the name of the op the user called.
private func negativeLogLikelihood(_ input: Tensor, _ target: Tensor, weight: Tensor?, ignoreIndex: Int,
                                   reduction: Reduction, op: String) -> Tensor {
    let rows = classRows(input, op: op)
    let classes = rows.shape[1]
    if let weight { require(weight.shape == [classes], "\(op): weight shape \(weight.shape) should be [\(classes)]") }
    let targets = ClassTargets(target, input: input, classes: classes, ignoreIndex: ignoreIndex, op: op)
    let picked = rows.gather(1, targets.safe.unsqueezed(1)).squeezed(1)
    let w = (weight.map { $0.detach().indexSelect(0, targets.safe) } ?? targets.valid.constant(1)) * targets.valid
    let losses = -(picked * w)
    switch reduction {
    case .mean: return losses.sum() / w.sum()
    case .sum: return losses.sum()
    case .none: return losses.reshaped(target.shape)
    }
}

/// Cross-entropy of unnormalised scores with class dim 1 ((C), (N, C) or (N, C, d1, …)) against
/// integer class targets or float class probabilities of the input's shape, as
/// torch.nn.functional.cross_entropy: class `weight`, `ignoreIndex`, `labelSmoothing`.
public func crossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                         reduction: Reduction = .mean, labelSmoothing: Float = 0) -> Tensor {
    let op = "cross_entropy"
    require(labelSmoothing >= 0 && labelSmoothing <= 1, "\(op): label smoothing \(labelSmoothing) is outside [0, 1]")
    let classDim = input.rank == 1 ? 0 : 1
    let logp = input.logSoftmax(dim: classDim)
    let classes = input.shape[classDim]
    if let weight { require(weight.shape == [classes], "\(op): weight shape \(weight.shape) should be [\(classes)]") }
    let weightView = weight.map { $0.reshaped([classes] + Array(repeating: 1, count: input.rank - classDim - 1)) }

    if target.dtype.isFloatingPoint {
        // Class probabilities: −Σ_c w_c·p_c·log q_c per position; mean divides by the number of positions.
        checkSameShape(input, target, op)
        var p = target
        if labelSmoothing > 0 { p = p * (1 - labelSmoothing) + labelSmoothing / Float(classes) }
        var terms = logp * p
        if let weightView { terms = terms * weightView }
        let losses = -terms.sum(dim: classDim)
        switch reduction {
        case .mean: return losses.sum() / Float(max(1, input.rank == 1 ? 1 : input.count / classes))
        case .sum: return losses.sum()
        case .none: return losses
        }
    }

    let nll = negativeLogLikelihood(logp, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, op: op)
    if labelSmoothing == 0 { return nll }
    // PyTorch's smoothing term: the (weighted) sum of all classes' log-probabilities, with the same
    // ignore mask and, for `mean`, the same normaliser as the NLL term.
    let targets = ClassTargets(target, input: input, classes: classes, ignoreIndex: ignoreIndex, op: op)
    let rows = classRows(logp, op: op)
    let smooth = -(weight.map { rows * $0 } ?? rows).sum(dim: 1) * targets.valid
    let smoothReduced: Tensor
    switch reduction {
    case .mean:
        let normaliser = weight.map { $0.detach().indexSelect(0, targets.safe) * targets.valid }?.sum()
            ?? targets.valid.sum()
        smoothReduced = smooth.sum() / normaliser
    case .sum: smoothReduced = smooth.sum()
    case .none: smoothReduced = smooth.reshaped(target.shape)
    }
    return nll * (1 - labelSmoothing) + smoothReduced * (labelSmoothing / Float(classes))
}

/// Binary cross-entropy of logits, stable for large |x|: (1 − y)x + (1 + (pw − 1)y)·log(1 + e^−x),
/// with optional element `weight` and per-class `posWeight`, as torch's binary_cross_entropy_with_logits.
public func binaryCrossEntropyWithLogits(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, posWeight: Tensor? = nil,
                                         reduction: Reduction = .mean) -> Tensor {
    let op = "binary_cross_entropy_with_logits"
    checkSameShape(input, target, op)
    let logSigmoidNeg = softplus(-input)   // −log σ(x) = log(1 + e^−x)
    var losses: Tensor
    if let posWeight {
        losses = (1 - target) * input + (1 + (posWeight - 1) * target) * logSigmoidNeg
    } else {
        losses = (1 - target) * input + logSigmoidNeg
    }
    if let weight { losses = losses * weight }
    return reduce(losses, reduction)
}

/// Binary cross-entropy of probabilities in [0, 1]; logarithms are clamped at −100 as in PyTorch.
public func binaryCrossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
    let op = "binary_cross_entropy"
    checkSameShape(input, target, op)
    // Checked where the values are, as a device-side assertion: no read to the host.
    let probabilities = input.detach().contiguousStorage()
    probabilities.backend.assertElements(of: probabilities.operand, within: 0...1, "\(op): input values must be probabilities in [0, 1]")
    var losses = -(target * input.log().clamped(min: -100) + (1 - target) * (1 - input).log().clamped(min: -100))
    if let weight { losses = losses * weight }
    return reduce(losses, reduction)
}

/// Mean squared error.
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "mse_loss")
    return reduce((input - target).square(), reduction)
}

/// Mean absolute error.
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "l1_loss")
    return reduce((input - target).abs(), reduction)
}

/// 0.5·d²/β where |d| < β, else |d| − 0.5β.
public func smoothL1Loss(_ input: Tensor, _ target: Tensor, beta: Float = 1, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "smooth_l1_loss")
    require(beta >= 0, "smooth_l1_loss: beta must be non-negative, got \(beta)")
    let d = (input - target).abs()
    if beta == 0 { return reduce(d, reduction) }
    return reduce(Tensor.where(d.lt(beta), d.square() * (0.5 / beta), d - 0.5 * beta), reduction)
}

/// 0.5·d² where |d| ≤ δ, else δ(|d| − 0.5δ).
public func huberLoss(_ input: Tensor, _ target: Tensor, delta: Float = 1, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "huber_loss")
    require(delta > 0, "huber_loss: delta must be positive, got \(delta)")
    let d = (input - target).abs()
    return reduce(Tensor.where(d.le(delta), d.square() * 0.5, (d - 0.5 * delta) * delta), reduction)
}

/// How kl_div reduces: like `Reduction`, plus `batchMean` (sum divided by the batch size), the one
/// that matches the mathematical definition.
public enum KLReduction: String, Sendable { case mean, sum, none, batchMean }

/// Kullback–Leibler divergence with `input` as log-probabilities: target·(log target − input), 0 where
/// target is 0; with `logTarget` the target is given as log-probabilities too.
public func klDiv(_ input: Tensor, _ target: Tensor, reduction: KLReduction = .mean, logTarget: Bool = false) -> Tensor {
    checkSameShape(input, target, "kl_div")
    let losses: Tensor
    if logTarget {
        losses = target.exp() * (target - input)
    } else {
        let positive = target.gt(0)
        let safeLog = Tensor.where(positive, target, target.constant(1)).log()
        losses = Tensor.where(positive, target * (safeLog - input), target.constant(0))
    }
    switch reduction {
    case .mean: return losses.mean()
    case .sum: return losses.sum()
    case .none: return losses
    case .batchMean: return losses.sum() / Float(input.rank == 0 ? 1 : input.shape[0])
    }
}

/// Cosine of the angle between x1 and x2 along `dim`, each norm clamped below at `eps`.
public func cosineSimilarity(_ x1: Tensor, _ x2: Tensor, dim: Int = 1, eps: Float = 1e-8) -> Tensor {
    let shape = broadcastShapes(x1.shape, x2.shape, op: "cosine_similarity")
    let a = normalizeAxis(dim, rank: shape.count, op: "cosine_similarity")
    func unit(_ x: Tensor) -> Tensor {
        let x = x.expanded(to: shape)
        return x / x.square().sum(dim: a, keepDim: true).sqrt().clamped(min: eps)
    }
    return (unit(x1) * unit(x2)).sum(dim: a)
}
