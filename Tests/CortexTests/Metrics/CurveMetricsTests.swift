// ROC and precision-recall curves, AUC and average precision against scikit-learn 1.9.1
// (`import numpy as np; from sklearn import metrics as m`): ties, all-equal scores, other labels,
// classes missing from yTrue, and multiclass one-vs-rest.
import Testing
import Cortex
@testable import CortexMetrics

// Scores 0.4 and 0.35 are each shared by a positive and a negative.
private let yTies = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
private let sTies = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.35, 0.7, 0.05]

@Suite("Metrics: ROC and precision-recall curves")
struct CurveMetricsTests {
    // f, t, th = m.roc_curve(yTies, sTies, drop_intermediate=d) for d = True, False
    @Test func rocCurveWithTies() throws {
        let dropped = try rocCurve(yTrue: yTies, scores: sTies)
        #expect(dropped.fpr == [0.0, 0.0, 0.0, 0.4, 0.4, 1.0])
        #expect(dropped.tpr == [0.0, 0.2, 0.6, 0.6, 1.0, 1.0])
        #expect(dropped.thresholds == [.infinity, 0.9, 0.7, 0.4, 0.35, 0.05])
        let all = try rocCurve(yTrue: yTies, scores: sTies, dropIntermediate: false)
        #expect(all.fpr == [0.0, 0.0, 0.0, 0.0, 0.4, 0.4, 0.6, 0.8, 1.0])
        #expect(all.tpr == [0.0, 0.2, 0.4, 0.6, 0.6, 1.0, 1.0, 1.0, 1.0])
        #expect(all.thresholds == [.infinity, 0.9, 0.8, 0.7, 0.4, 0.35, 0.2, 0.1, 0.05])
        // Float scores give thresholds widened from Float, as NumPy's float32 → float64 cast does.
        let fromFloat = try rocCurve(yTrue: yTies, scores: sTies.map(Float.init))
        #expect(fromFloat.tpr == dropped.tpr && fromFloat.thresholds[1] == Double(Float(0.9)))
    }

    // m.roc_auc_score(yTies, sTies) → 0.84; m.average_precision_score(yTies, sTies) → 0.8857142857142857,
    // pos_label=0 → 0.42388888888888887
    @Test func scoresWithTies() throws {
        expectClose(try rocAUC(yTrue: yTies, scores: sTies), 0.84)
        expectClose(try averagePrecision(yTrue: yTies, scores: sTies), 0.8857142857142857)
        expectClose(try averagePrecision(yTrue: yTies, scores: sTies, positiveLabel: 0), 0.42388888888888887)
        let curve = try rocCurve(yTrue: yTies, scores: sTies)
        expectClose(try auc(x: curve.fpr, y: curve.tpr), 0.84)
    }

    // p, r, th = m.precision_recall_curve(yTies, sTies), and with drop_intermediate=True
    @Test func precisionRecallCurveWithTies() throws {
        let curve = try precisionRecallCurve(yTrue: yTies, scores: sTies)
        expectClose(curve.precision, [0.5, 0.5555555555555556, 0.625, 0.7142857142857143, 0.6, 1.0, 1.0, 1.0, 1.0])
        #expect(curve.recall == [1.0, 1.0, 1.0, 1.0, 0.6, 0.6, 0.4, 0.2, 0.0])
        #expect(curve.thresholds == [0.05, 0.1, 0.2, 0.35, 0.4, 0.7, 0.8, 0.9])
        let dropped = try precisionRecallCurve(yTrue: yTies, scores: sTies, dropIntermediate: true)
        expectClose(dropped.precision, [0.5, 0.7142857142857143, 0.6, 1.0, 1.0, 1.0, 1.0])
        #expect(dropped.recall == [1.0, 1.0, 0.6, 0.6, 0.4, 0.2, 0.0])
        #expect(dropped.thresholds == [0.05, 0.35, 0.4, 0.7, 0.8, 0.9])
    }

    // ye = [0,1,1,0,1], se = [0.5]*5: m.roc_curve → fpr [0, 1], tpr [0, 1], thresholds [inf, 0.5];
    // m.roc_auc_score → 0.5; m.average_precision_score → 0.6; m.precision_recall_curve → [0.6, 1], [1, 0], [0.5]
    @Test func allScoresEqual() throws {
        let y = [0, 1, 1, 0, 1], s = [Double](repeating: 0.5, count: 5)
        for drop in [true, false] {
            let curve = try rocCurve(yTrue: y, scores: s, dropIntermediate: drop)
            #expect(curve == ROCCurve(fpr: [0, 1], tpr: [0, 1], thresholds: [.infinity, 0.5]))
        }
        #expect(try rocAUC(yTrue: y, scores: s) == 0.5)
        #expect(try averagePrecision(yTrue: y, scores: s) == 0.6)
        #expect(try precisionRecallCurve(yTrue: y, scores: s) == PrecisionRecallCurve(precision: [0.6, 1], recall: [1, 0], thresholds: [0.5]))
    }

    // sl = [.3,.2,.9,.1,.6,.8]: m.roc_curve([-1,1,1,-1,-1,1], sl); m.roc_curve([2,5,5,2,5,2], sl, pos_label=2);
    // m.roc_auc_score([2,5,5,2,5,2], sl) → 0.6666666666666667 (the greater label, 5, is positive)
    @Test func otherLabelSets() throws {
        let s = [0.3, 0.2, 0.9, 0.1, 0.6, 0.8]
        let signed = try rocCurve(yTrue: [-1, 1, 1, -1, -1, 1], scores: s)
        expectClose(signed.fpr, [0.0, 0.0, 0.0, 0.6666666666666666, 0.6666666666666666, 1.0])
        expectClose(signed.tpr, [0.0, 0.3333333333333333, 0.6666666666666666, 0.6666666666666666, 1.0, 1.0])
        #expect(signed.thresholds == [.infinity, 0.9, 0.8, 0.3, 0.2, 0.1])
        let y25 = [2, 5, 5, 2, 5, 2]
        let two = try rocCurve(yTrue: y25, scores: s, positiveLabel: 2)
        expectClose(two.fpr, [0.0, 0.3333333333333333, 0.3333333333333333, 0.6666666666666666, 0.6666666666666666, 1.0, 1.0])
        expectClose(two.tpr, [0.0, 0.0, 0.3333333333333333, 0.3333333333333333, 0.6666666666666666, 0.6666666666666666, 1.0])
        #expect(two.thresholds == [.infinity, 0.9, 0.8, 0.6, 0.3, 0.2, 0.1])
        expectClose(try rocAUC(yTrue: y25, scores: s), 0.6666666666666667)
        expectMetricsError(.invalidArgument, mentions: ["positiveLabel"]) { _ = try rocCurve(yTrue: y25, scores: s) }
        expectMetricsError(.invalidArgument, mentions: ["positive label 1"]) { _ = try averagePrecision(yTrue: y25, scores: s) }
    }

    // m.roc_curve([0,0,0], [.1,.5,.3]) → fpr [0, 1/3, 1], tpr [nan]*3, thresholds [inf, .5, .1];
    // m.precision_recall_curve([0,0,0], [.1,.5,.3]) → [0,0,0,1], [1,1,1,0], [.1,.3,.5];
    // m.average_precision_score([0,0,0], [.1,.5,.3]) → 0.0
    @Test func noPositives() throws {
        let roc = try rocCurve(yTrue: [0, 0, 0], scores: [0.1, 0.5, 0.3])
        expectClose(roc.fpr, [0.0, 0.3333333333333333, 1.0])
        #expect(roc.tpr.allSatisfy(\.isNaN) && roc.tpr.count == 3)
        #expect(roc.thresholds == [.infinity, 0.5, 0.1])
        let pr = try precisionRecallCurve(yTrue: [0, 0, 0], scores: [0.1, 0.5, 0.3])
        #expect(pr == PrecisionRecallCurve(precision: [0, 0, 0, 1], recall: [1, 1, 1, 0], thresholds: [0.1, 0.3, 0.5]))
        #expect(try averagePrecision(yTrue: [0, 0, 0], scores: [0.1, 0.5, 0.3]) == 0)
        // ROC AUC is undefined for one class (scikit-learn: nan and a warning); here it throws.
        expectMetricsError(.undefined, mentions: ["only the class 0"]) { _ = try rocAUC(yTrue: [0, 0, 0], scores: [0.1, 0.5, 0.3]) }
    }

    // rng = np.random.default_rng(11); yr = rng.integers(0, 2, 40); sr = np.round(rng.random(40)*0.6 + yr*0.3, 2)
    // f, t, th = m.roc_curve(yr, sr); m.roc_auc_score(yr, sr) → 0.7506393861892584;
    // m.average_precision_score(yr, sr) → 0.8046088628237316. Collinear points with a changing tp step
    // are kept, as scikit-learn's second-difference test keeps them.
    @Test func fortySamplesWithDropIntermediate() throws {
        let y = [0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1]
        let s = [0.59, 0.12, 0.63, 0.29, 0.51, 0.65, 0.44, 0.48, 0.52, 0.08, 0.28, 0.47, 0.35, 0.54, 0.56, 0.09, 0.7, 0.42, 0.84,
                 0.43, 0.32, 0.12, 0.21, 0.58, 0.54, 0.72, 0.5, 0.01, 0.4, 0.6, 0.28, 0.71, 0.03, 0.32, 0.51, 0.65, 0.49, 0.49, 0.35, 0.4]
        let curve = try rocCurve(yTrue: y, scores: s)
        expectClose(curve.fpr, [0.0, 0.0, 0.0, 0.0, 0.0, 0.11764705882352941, 0.11764705882352941, 0.23529411764705882,
                                0.29411764705882354, 0.35294117647058826, 0.35294117647058826, 0.35294117647058826, 0.4117647058823529,
                                0.4117647058823529, 0.4117647058823529, 0.47058823529411764, 0.5882352941176471, 0.6470588235294118,
                                0.7647058823529411, 1.0])
        expectClose(curve.tpr, [0.0, 0.043478260869565216, 0.17391304347826086, 0.2608695652173913, 0.30434782608695654,
                                0.30434782608695654, 0.391304347826087, 0.391304347826087, 0.391304347826087, 0.43478260869565216,
                                0.4782608695652174, 0.5652173913043478, 0.5652173913043478, 0.7391304347826086, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
        #expect(curve.thresholds == [.infinity, 0.84, 0.7, 0.65, 0.63, 0.59, 0.56, 0.54, 0.52, 0.51, 0.5, 0.49, 0.48, 0.42,
                                     0.32, 0.29, 0.28, 0.21, 0.12, 0.01])
        expectClose(try rocAUC(yTrue: y, scores: s), 0.7506393861892584)
        expectClose(try averagePrecision(yTrue: y, scores: s), 0.8046088628237316)
    }

    // m.auc([1., .5, 0.], [1., .8, 0.]) → 0.65 (decreasing x); m.auc([0,1,2,3], [1,3,2,5]) → 8.0
    @Test func trapezoidalArea() throws {
        expectClose(try auc(x: [1.0, 0.5, 0.0], y: [1.0, 0.8, 0.0]), 0.65)
        #expect(try auc(x: [0.0, 1, 2, 3], y: [1.0, 3, 2, 5]) == 8)
        expectMetricsError(.invalidValue, mentions: ["neither increasing nor decreasing"]) { _ = try auc(x: [0.0, 1, 0.5], y: [0.0, 1, 2]) }
        expectMetricsError(.invalidArgument, mentions: ["2 points"]) { _ = try auc(x: [0.0], y: [1.0]) }
    }

    @Test func invalidInputThrows() {
        expectMetricsError(.lengthMismatch, mentions: ["rocCurve", "scores"]) { _ = try rocCurve(yTrue: [0, 1], scores: [0.5]) }
        expectMetricsError(.emptyInput) { _ = try precisionRecallCurve(yTrue: [], scores: [Double]()) }
        expectMetricsError(.invalidValue, mentions: ["scores[1]"]) { _ = try rocAUC(yTrue: [0, 1], scores: [0.5, .infinity]) }
        expectMetricsError(.invalidShape, mentions: ["3 classes"]) { _ = try rocAUC(yTrue: [0, 1, 2], scores: [0.1, 0.2, 0.3]) }
        expectMetricsError(.invalidShape, mentions: ["3 classes"]) { _ = try averagePrecision(yTrue: [0, 1, 2], scores: [0.1, 0.2, 0.3]) }
        expectMetricsError(.invalidArgument, mentions: ["3 classes"]) { _ = try rocCurve(yTrue: [0, 1, 2], scores: [0.1, 0.2, 0.3]) }
    }
}
