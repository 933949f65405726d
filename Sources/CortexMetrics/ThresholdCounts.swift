// What ROC and precision-recall curves are built from: for each distinct score, taken as a decision
// threshold from the highest down, how many positives and negatives score at or above it. Also the
// choice of the positive class, and one-vs-rest averaging of such binary scores over classes.
import CortexCore

/// Cumulative true and false positive counts at each distinct score, highest score first
/// (scikit-learn's `confusion_matrix_at_thresholds`). Counts are whole numbers held in Double.
struct ThresholdCounts {
    var truePositives: [Double] = []
    var falsePositives: [Double] = []
    var thresholds: [Double] = []

    /// `scores` must be finite. Ties form one threshold: every tied sample switches at once.
    init(isPositive: [Bool], scores: [Double]) {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tp = 0, seen = 0
        for (position, i) in order.enumerated() {
            seen += 1
            if isPositive[i] { tp += 1 }
            let isLastOfGroup = position == order.count - 1 || scores[order[position + 1]] != scores[i]
            if isLastOfGroup {
                truePositives.append(Double(tp))
                falsePositives.append(Double(seen - tp))
                thresholds.append(scores[i])
            }
        }
    }

    /// Keeps only the thresholds at `indices`.
    mutating func keep(_ indices: [Int]) {
        truePositives = indices.map { truePositives[$0] }
        falsePositives = indices.map { falsePositives[$0] }
        thresholds = indices.map { thresholds[$0] }
    }
}

/// Which samples are positive. Without `positiveLabel`, `yTrue` must be binary with labels {0, 1} or
/// {−1, 1} (or one of them) and 1 is positive — scikit-learn's rule for `pos_label=None`; with it,
/// any labels are allowed and the rest count as negative.
func positiveMask(yTrue: [Int], positiveLabel: Int?, _ function: String) throws -> [Bool] {
    if let positiveLabel { return yTrue.map { $0 == positiveLabel } }
    let classes = sortedUnique(yTrue)
    guard classes.count <= 2 else {
        throw MetricsError(.invalidArgument, "\(function): yTrue has \(classes.count) classes \(classes); pass positiveLabel to score one class against the rest")
    }
    guard Set(classes).isSubset(of: [0, 1]) || Set(classes).isSubset(of: [-1, 1]) else {
        throw MetricsError(.invalidArgument, "\(function): yTrue has labels \(classes), not {0, 1} or {-1, 1}; pass positiveLabel")
    }
    return yTrue.map { $0 == 1 }
}

/// A binary score of each class against the rest, combined as scikit-learn's `_average_binary_score`
/// does for one-vs-rest: `.micro` scores all (sample, class) cells as one binary problem, `.macro`
/// takes the mean over classes and `.weighted` the mean weighted by each class's support. A class's
/// score that is undefined (`binaryScore` returned NaN) is an error unless its weight is zero, in
/// which case it counts as 0 like in scikit-learn.
func oneVsRest(yTrue: [Int], classes: [Int], scores: ScoreMatrix, average: Average, _ function: String,
               binaryScore: ([Bool], [Double]) -> Double) throws -> Double {
    switch average {
    case .binary:
        throw MetricsError(.invalidArgument, "\(function): average \(average.name) needs one score per sample; for a score matrix use .micro, .macro or .weighted")
    case .micro:
        var isPositive = [Bool]()
        isPositive.reserveCapacity(scores.values.count)
        for label in yTrue { isPositive += classes.map { $0 == label } }
        let score = binaryScore(isPositive, scores.values)
        guard !score.isNaN else { throw MetricsError(.undefined, "\(function): the micro-averaged score is undefined") }
        return score
    case .macro, .weighted:
        var perClass = [Double](), weights = [Double]()
        for (c, label) in classes.enumerated() {
            let isPositive = yTrue.map { $0 == label }
            let support = Double(isPositive.reduce(0) { $0 + ($1 ? 1 : 0) })
            var score = binaryScore(isPositive, scores.column(c))
            if average == .weighted && support == 0 { score = 0 }
            guard !score.isNaN else {
                throw MetricsError(.undefined, "\(function): the score of class \(label) against the rest is undefined (\(support == 0 ? "no sample of it" : "every sample is of it") in yTrue)")
            }
            perClass.append(score)
            weights.append(support)
        }
        guard average == .weighted else { return numpyMean(perClass) }
        return numpyWeightedAverage(perClass, weights: weights) ?? 0
    }
}
