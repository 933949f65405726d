// One-vs-rest ROC AUC and average precision of class-probability matrices against scikit-learn
// 1.9.1 (`import numpy as np; from sklearn import metrics as m`).
import Testing
import Cortex

// rng = np.random.default_rng(5); n = 16; K = 4; y = rng.integers(0, K, n); y[:4] = [0, 1, 2, 3]
// w = rng.integers(1, 10, (n, K)).astype(float); w[np.arange(n), y] += rng.integers(0, 8, n)
// P = w / w.sum(1, keepdims=True)    (exact ratios, so rows sum to 1 within 2.3e-16)
private let y = [0, 1, 2, 3, 1, 2, 2, 1, 3, 0, 1, 1, 2, 1, 0, 0]
private let probabilities: [[Double]] = [
    [0.29411764705882354, 0.058823529411764705, 0.11764705882352941, 0.5294117647058824],
    [0.09523809523809523, 0.42857142857142855, 0.3333333333333333, 0.14285714285714285],
    [0.15, 0.2, 0.2, 0.45],
    [0.06060606060606061, 0.2727272727272727, 0.24242424242424243, 0.42424242424242425],
    [0.08695652173913043, 0.43478260869565216, 0.2608695652173913, 0.21739130434782608],
    [0.2857142857142857, 0.3333333333333333, 0.3333333333333333, 0.047619047619047616],
    [0.3333333333333333, 0.2222222222222222, 0.3333333333333333, 0.1111111111111111],
    [0.23529411764705882, 0.5882352941176471, 0.11764705882352941, 0.058823529411764705],
    [0.18181818181818182, 0.3181818181818182, 0.09090909090909091, 0.4090909090909091],
    [0.37037037037037035, 0.1111111111111111, 0.18518518518518517, 0.3333333333333333],
    [0.3333333333333333, 0.5, 0.125, 0.041666666666666664],
    [0.2962962962962963, 0.4074074074074074, 0.25925925925925924, 0.037037037037037035],
    [0.0625, 0.3125, 0.375, 0.25],
    [0.391304347826087, 0.2608695652173913, 0.21739130434782608, 0.13043478260869565],
    [0.43478260869565216, 0.34782608695652173, 0.08695652173913043, 0.13043478260869565],
    [0.2, 0.13333333333333333, 0.2, 0.4666666666666667],
]

@Suite("Metrics: multiclass ROC AUC and average precision")
struct MulticlassCurveMetricsTests {
    // m.roc_auc_score(y, P, multi_class='ovr', average=a) and m.average_precision_score(y, P, average=a)
    @Test(arguments: [
        (Average.macro, 0.8344494047619048, 0.6495129870129871),
        (.weighted, 0.8508184523809523, 0.7244182900432901),
        (.micro, 0.845703125, 0.610820010781901),
    ])
    func oneVsRest(average: Average, expectedAUC: Double, expectedAP: Double) throws {
        expectClose(try rocAUC(yTrue: y, probabilities: probabilities, average: average), expectedAUC)
        expectClose(try averagePrecision(yTrue: y, scores: probabilities, average: average), expectedAP)
        let asFloat = probabilities.map { $0.map(Float.init) }
        expectClose(try rocAUC(yTrue: y, probabilities: asFloat, average: average), expectedAUC, tolerance: 1e-6)
    }

    // y3 = np.where(y == 3, 2, y): class 3 has a column but no sample.
    // m.roc_auc_score(y3, P, multi_class='ovr', labels=[0,1,2,3], average='weighted') → 0.8020833333333333,
    // average='micro' → 0.7558593749999999, average='macro' → nan (class 3's AUC is undefined)
    @Test func classWithoutSamples() throws {
        let y3 = y.map { $0 == 3 ? 2 : $0 }
        let labels = [0, 1, 2, 3]
        expectClose(try rocAUC(yTrue: y3, probabilities: probabilities, average: .weighted, labels: labels), 0.8020833333333333)
        expectClose(try rocAUC(yTrue: y3, probabilities: probabilities, average: .micro, labels: labels), 0.7558593749999999)
        expectMetricsError(.undefined, mentions: ["class 3", "no sample"]) {
            _ = try rocAUC(yTrue: y3, probabilities: probabilities, average: .macro, labels: labels)
        }
        expectMetricsError(.invalidShape, mentions: ["3 classes", "4 columns"]) { _ = try rocAUC(yTrue: y3, probabilities: probabilities) }
    }

    // Tied probabilities: yt = [0,1,2,0,1,2,0,1], Pt as below;
    // m.roc_auc_score(yt, Pt, multi_class='ovr', average=a), m.average_precision_score(yt, np.array(Pt), average=a)
    @Test(arguments: [
        (Average.macro, 0.6694444444444443, 0.44246031746031744),
        (.weighted, 0.6645833333333333, 0.44866071428571425),
        (.micro, 0.6796875, 0.44886363636363635),
    ])
    func tiedProbabilities(average: Average, expectedAUC: Double, expectedAP: Double) throws {
        let yt = [0, 1, 2, 0, 1, 2, 0, 1]
        let pt: [[Double]] = [[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5], [0.25, 0.5, 0.25],
                              [0.5, 0.25, 0.25], [0.5, 0.25, 0.25], [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]
        expectClose(try rocAUC(yTrue: yt, probabilities: pt, average: average), expectedAUC)
        expectClose(try averagePrecision(yTrue: yt, scores: pt, average: average), expectedAP)
    }

    @Test func invalidMatricesThrow() {
        var notProbabilities = probabilities
        notProbabilities[2][0] += 0.01
        expectMetricsError(.invalidValue, mentions: ["row 2", "sums to"]) { _ = try rocAUC(yTrue: y, probabilities: notProbabilities) }
        expectMetricsError(.invalidArgument, mentions: ["binary"]) {
            _ = try rocAUC(yTrue: y, probabilities: probabilities, average: .binary(positiveLabel: 1))
        }
        expectMetricsError(.invalidShape, mentions: ["two-column"]) { _ = try rocAUC(yTrue: [0, 1], probabilities: [[0.3, 0.7], [0.6, 0.4]]) }
        expectMetricsError(.invalidShape, mentions: ["row 1"]) { _ = try rocAUC(yTrue: [0, 1, 2], probabilities: [[0.2, 0.3, 0.5], [0.5, 0.5], [0.1, 0.1, 0.8]]) }
        expectMetricsError(.invalidShape, mentions: ["4 classes", "3 columns"]) {
            _ = try averagePrecision(yTrue: y, scores: probabilities.map { Array($0.prefix(3)) })
        }
        expectMetricsError(.invalidArgument, mentions: ["not in labels"]) {
            _ = try rocAUC(yTrue: y, probabilities: probabilities, labels: [0, 1, 2, 4])
        }
    }
}
