// Tensor forms of the metrics: each unpacks its tensors — labels through `integers`, scores through
// `scalars` (Float, so float32 clipping rules apply to log loss) — checks their ranks, and calls the
// array form, so the two can never disagree.
import CortexCore

/// A rank-1 tensor of class labels as Ints. Float tensors are accepted when every value is whole.
private func labels(_ t: Tensor, _ function: String, _ name: String) throws -> [Int] {
    guard t.rank == 1 else {
        throw MetricsError(.invalidShape, "\(function): \(name) must be a 1-D tensor of labels, got shape \(t.shape)")
    }
    if !t.dtype.isInteger, let bad = t.scalars.first(where: { $0.rounded() != $0 }) {
        throw MetricsError(.invalidValue, "\(function): \(name) holds \(bad), which is not a whole-number label")
    }
    return t.integers
}

/// A rank-1 tensor of scores or values.
private func vector(_ t: Tensor, _ function: String, _ name: String) throws -> [Float] {
    guard t.rank == 1 else { throw MetricsError(.invalidShape, "\(function): \(name) must be a 1-D tensor, got shape \(t.shape)") }
    return t.scalars
}

/// A rank-2 tensor (samples × classes) as rows.
private func rows(_ t: Tensor, _ function: String, _ name: String) throws -> [[Float]] {
    guard t.rank == 2 else {
        throw MetricsError(.invalidShape, "\(function): \(name) must be a 2-D (samples × classes) tensor, got shape \(t.shape)")
    }
    let flat = t.scalars, columns = t.shape[1]
    return (0..<t.shape[0]).map { Array(flat[$0 * columns ..< ($0 + 1) * columns]) }
}

// MARK: - Regression

/// `meanSquaredError(yTrue:yPred:)` of two 1-D tensors.
public func meanSquaredError(yTrue: Tensor, yPred: Tensor) throws -> Double {
    let f = "meanSquaredError"
    return try meanSquaredError(yTrue: vector(yTrue, f, "yTrue"), yPred: vector(yPred, f, "yPred"))
}

/// `rootMeanSquaredError(yTrue:yPred:)` of two 1-D tensors.
public func rootMeanSquaredError(yTrue: Tensor, yPred: Tensor) throws -> Double {
    let f = "rootMeanSquaredError"
    return try rootMeanSquaredError(yTrue: vector(yTrue, f, "yTrue"), yPred: vector(yPred, f, "yPred"))
}

/// `meanAbsoluteError(yTrue:yPred:)` of two 1-D tensors.
public func meanAbsoluteError(yTrue: Tensor, yPred: Tensor) throws -> Double {
    let f = "meanAbsoluteError"
    return try meanAbsoluteError(yTrue: vector(yTrue, f, "yTrue"), yPred: vector(yPred, f, "yPred"))
}

/// `r2Score(yTrue:yPred:forceFinite:)` of two 1-D tensors.
public func r2Score(yTrue: Tensor, yPred: Tensor, forceFinite: Bool = true) throws -> Double {
    let f = "r2Score"
    return try r2Score(yTrue: vector(yTrue, f, "yTrue"), yPred: vector(yPred, f, "yPred"), forceFinite: forceFinite)
}

// MARK: - Hard predictions

/// `accuracy(yTrue:yPred:)` of two 1-D label tensors.
public func accuracy(yTrue: Tensor, yPred: Tensor) throws -> Double {
    try accuracy(yTrue: labels(yTrue, "accuracy", "yTrue"), yPred: labels(yPred, "accuracy", "yPred"))
}

/// `precisionRecallF1(yTrue:yPred:average:labels:zeroDivision:)` of two 1-D label tensors.
public func precisionRecallF1(yTrue: Tensor, yPred: Tensor, average: Average = .binary(positiveLabel: 1),
                              labels classes: [Int]? = nil, zeroDivision: Double = 0) throws -> PrecisionRecallF1 {
    let f = "precisionRecallF1"
    return try precisionRecallF1(yTrue: labels(yTrue, f, "yTrue"), yPred: labels(yPred, f, "yPred"), average: average,
                                 labels: classes, zeroDivision: zeroDivision)
}

/// `perClassPrecisionRecallF1(yTrue:yPred:labels:zeroDivision:)` of two 1-D label tensors.
public func perClassPrecisionRecallF1(yTrue: Tensor, yPred: Tensor, labels classes: [Int]? = nil,
                                      zeroDivision: Double = 0) throws -> [ClassScores] {
    let f = "perClassPrecisionRecallF1"
    return try perClassPrecisionRecallF1(yTrue: labels(yTrue, f, "yTrue"), yPred: labels(yPred, f, "yPred"),
                                         labels: classes, zeroDivision: zeroDivision)
}

/// `confusionMatrix(yTrue:yPred:labels:)` of two 1-D label tensors.
public func confusionMatrix(yTrue: Tensor, yPred: Tensor, labels classes: [Int]? = nil) throws -> ConfusionMatrix {
    let f = "confusionMatrix"
    return try confusionMatrix(yTrue: labels(yTrue, f, "yTrue"), yPred: labels(yPred, f, "yPred"), labels: classes)
}

/// `cohenKappa(yTrue:yPred:labels:weighting:replaceUndefinedBy:)` of two 1-D label tensors.
public func cohenKappa(yTrue: Tensor, yPred: Tensor, labels classes: [Int]? = nil,
                       weighting: KappaWeighting = .unweighted, replaceUndefinedBy: Double = .nan) throws -> Double {
    let f = "cohenKappa"
    return try cohenKappa(yTrue: labels(yTrue, f, "yTrue"), yPred: labels(yPred, f, "yPred"), labels: classes,
                          weighting: weighting, replaceUndefinedBy: replaceUndefinedBy)
}

/// `classificationReport(yTrue:yPred:labels:targetNames:zeroDivision:)` of two 1-D label tensors.
public func classificationReport(yTrue: Tensor, yPred: Tensor, labels classes: [Int]? = nil,
                                 targetNames: [String]? = nil, zeroDivision: Double = 0) throws -> ClassificationReport {
    let f = "classificationReport"
    return try classificationReport(yTrue: labels(yTrue, f, "yTrue"), yPred: labels(yPred, f, "yPred"),
                                    labels: classes, targetNames: targetNames, zeroDivision: zeroDivision)
}

// MARK: - Scores and probabilities

/// `topKAccuracy` of 1-D labels and a 2-D (samples × classes) score tensor, or 1-D binary scores.
public func topKAccuracy(yTrue: Tensor, scores: Tensor, k: Int = 2, labels classes: [Int]? = nil) throws -> Double {
    let f = "topKAccuracy"
    let y = try labels(yTrue, f, "yTrue")
    if scores.rank == 1 { return try topKAccuracy(yTrue: y, scores: vector(scores, f, "scores"), k: k, labels: classes) }
    return try topKAccuracy(yTrue: y, scores: rows(scores, f, "scores"), k: k, labels: classes)
}

/// `logLoss` of 1-D labels and a 2-D (samples × classes) probability tensor, or 1-D probabilities of
/// the greater label. Float32 input is clipped at float32's epsilon, as scikit-learn does.
public func logLoss(yTrue: Tensor, probabilities: Tensor, labels classes: [Int]? = nil) throws -> Double {
    let f = "logLoss"
    let y = try labels(yTrue, f, "yTrue")
    if probabilities.rank == 1 {
        return try logLoss(yTrue: y, probabilities: vector(probabilities, f, "probabilities"), labels: classes)
    }
    return try logLoss(yTrue: y, probabilities: rows(probabilities, f, "probabilities"), labels: classes)
}

/// `rocCurve(yTrue:scores:positiveLabel:dropIntermediate:)` of 1-D label and score tensors.
public func rocCurve(yTrue: Tensor, scores: Tensor, positiveLabel: Int? = nil, dropIntermediate: Bool = true) throws -> ROCCurve {
    let f = "rocCurve"
    return try rocCurve(yTrue: labels(yTrue, f, "yTrue"), scores: vector(scores, f, "scores"),
                        positiveLabel: positiveLabel, dropIntermediate: dropIntermediate)
}

/// Binary `rocAUC(yTrue:scores:)` of 1-D label and score tensors.
public func rocAUC(yTrue: Tensor, scores: Tensor) throws -> Double {
    try rocAUC(yTrue: labels(yTrue, "rocAUC", "yTrue"), scores: vector(scores, "rocAUC", "scores"))
}

/// One-vs-rest `rocAUC(yTrue:probabilities:average:labels:)` of 1-D labels and a 2-D probability tensor.
public func rocAUC(yTrue: Tensor, probabilities: Tensor, average: Average = .macro, labels classes: [Int]? = nil) throws -> Double {
    let f = "rocAUC"
    return try rocAUC(yTrue: labels(yTrue, f, "yTrue"), probabilities: rows(probabilities, f, "probabilities"),
                      average: average, labels: classes)
}

/// `precisionRecallCurve(yTrue:scores:positiveLabel:dropIntermediate:)` of 1-D label and score tensors.
public func precisionRecallCurve(yTrue: Tensor, scores: Tensor, positiveLabel: Int? = nil,
                                 dropIntermediate: Bool = false) throws -> PrecisionRecallCurve {
    let f = "precisionRecallCurve"
    return try precisionRecallCurve(yTrue: labels(yTrue, f, "yTrue"), scores: vector(scores, f, "scores"),
                                    positiveLabel: positiveLabel, dropIntermediate: dropIntermediate)
}

/// `averagePrecision` of 1-D labels and 1-D binary scores, or a 2-D (samples × classes) score tensor
/// averaged by `average` (ignored for 1-D scores).
public func averagePrecision(yTrue: Tensor, scores: Tensor, positiveLabel: Int = 1, average: Average = .macro) throws -> Double {
    let f = "averagePrecision"
    let y = try labels(yTrue, f, "yTrue")
    if scores.rank == 1 { return try averagePrecision(yTrue: y, scores: vector(scores, f, "scores"), positiveLabel: positiveLabel) }
    return try averagePrecision(yTrue: y, scores: rows(scores, f, "scores"), average: average)
}
