// Accuracy of hard predictions and top-k accuracy of class scores, equal to scikit-learn's
// accuracy_score and top_k_accuracy_score (no sample weights).
import CortexCore

/// Fraction of samples whose prediction equals the true label, (1/n) Σᵢ [ŷᵢ = yᵢ];
/// `sklearn.metrics.accuracy_score`. Throws a `MetricsError` for empty or mismatched input.
public func accuracy(yTrue: [Int], yPred: [Int]) throws -> Double {
    try checkPaired(yTrue.count, yPred.count, "accuracy")
    let hits = zip(yTrue, yPred).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    return Double(hits) / Double(yTrue.count)
}

/// Fraction of samples whose true class is among the `k` highest-scored classes;
/// `sklearn.metrics.top_k_accuracy_score` with a (samples × classes) score matrix.
///
/// Column j scores the j-th of the sorted distinct labels of `yTrue` (or of `labels`, which must be
/// ascending and unique when given). Ties follow scikit-learn, which ranks by a stable ascending sort
/// read backwards: among equal scores the class with the higher column index ranks first. As in
/// scikit-learn, a `yTrue` with at most two labels (and no `labels` naming more) is a binary problem
/// that takes one score per sample: use `topKAccuracy(yTrue:scores:k:labels:)`.
public func topKAccuracy<T: BinaryFloatingPoint>(yTrue: [Int], scores: [[T]], k: Int = 2,
                                                 labels: [Int]? = nil) throws -> Double {
    let function = "topKAccuracy"
    try checkPaired(yTrue.count, scores.count, function, names: ("yTrue", "scores"))
    guard k >= 1 else { throw MetricsError(.invalidArgument, "\(function): k must be at least 1, got \(k)") }
    let matrix = try ScoreMatrix(scores, function, name: "scores")
    let isBinary = sortedUnique(yTrue).count <= 2 && (labels?.count ?? 0) <= 2
    if isBinary {
        guard matrix.columns == 1 else {
            throw MetricsError(.invalidShape, "\(function): yTrue is binary but scores has \(matrix.columns) columns; pass the positive-class scores as one array, or all the class labels through `labels`")
        }
        return try topKAccuracy(yTrue: yTrue, scores: matrix.column(0), k: k, labels: labels)
    }
    let classes = labels ?? sortedUnique(yTrue)
    if let labels {
        try checkColumnLabels(labels, columns: matrix.columns, yTrue: yTrue, function)
    } else if classes.count != matrix.columns {
        throw MetricsError(.invalidShape, "\(function): yTrue has \(classes.count) classes but scores has \(matrix.columns) columns; pass all the class labels through `labels`")
    }
    let column = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    var hits = 0
    for (i, label) in yTrue.enumerated() {
        let c = column[label]!
        let own = matrix[i, c]
        // Classes ranked above the true one: strictly higher scores, and equal scores further right.
        var above = 0
        for j in 0..<matrix.columns where matrix[i, j] > own || (matrix[i, j] == own && j > c) { above += 1 }
        if above < k { hits += 1 }
    }
    return Double(hits) / Double(yTrue.count)
}

/// Top-k accuracy of a binary problem from one score per sample (the score of the greater label);
/// `sklearn.metrics.top_k_accuracy_score` with 1-D scores.
///
/// With k = 1 a sample is predicted positive when its score exceeds 0.5 if all scores lie in [0, 1],
/// else when it exceeds 0; with k ≥ 2 both classes are in the top k, so the score is 1.
public func topKAccuracy<T: BinaryFloatingPoint>(yTrue: [Int], scores: [T], k: Int = 2,
                                                 labels: [Int]? = nil) throws -> Double {
    let function = "topKAccuracy"
    try checkPaired(yTrue.count, scores.count, function, names: ("yTrue", "scores"))
    guard k >= 1 else { throw MetricsError(.invalidArgument, "\(function): k must be at least 1, got \(k)") }
    let s = try finiteDoubles(scores, function, name: "scores")
    let classes = labels ?? sortedUnique(yTrue)
    if let labels { try checkColumnLabels(labels, columns: 2, yTrue: yTrue, function) }
    guard classes.count == 2 else {
        throw MetricsError(.invalidShape, "\(function): one score per sample needs exactly two classes, but yTrue has \(classes); pass both labels through `labels`")
    }
    guard k == 1 else { return 1 }
    let threshold = s.allSatisfy { $0 >= 0 && $0 <= 1 } ? 0.5 : 0
    var hits = 0
    for (label, score) in zip(yTrue, s) where (score > threshold) == (label == classes[1]) { hits += 1 }
    return Double(hits) / Double(yTrue.count)
}
