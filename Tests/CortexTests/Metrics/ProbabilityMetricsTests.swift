// Metrics of class scores and probabilities — top-k accuracy and log loss — against scikit-learn
// 1.9.1 (`import numpy as np; from sklearn import metrics as m`).
import Testing
import Cortex

@Suite("Metrics: top-k accuracy and log loss")
struct ProbabilityMetricsTests {
    // yt = [0,1,2,2,1,0]; S = [[.5,.5,0],[.2,.4,.4],[.1,.3,.6],[.3,.3,.3],[0,1,0],[.2,.2,.6]]
    // m.top_k_accuracy_score(yt, S, k=k) for k = 1, 2, 3 → 0.5, 0.8333333333333334, 1.0.
    // Ties rank the higher column first: row 3 (all equal, true class 2) is a hit at k = 1.
    @Test func topKWithTies() throws {
        let y = [0, 1, 2, 2, 1, 0]
        let s: [[Double]] = [[0.5, 0.5, 0.0], [0.2, 0.4, 0.4], [0.1, 0.3, 0.6], [0.3, 0.3, 0.3], [0.0, 1.0, 0.0], [0.2, 0.2, 0.6]]
        #expect(try topKAccuracy(yTrue: y, scores: s, k: 1) == 0.5)
        #expect(try topKAccuracy(yTrue: y, scores: s, k: 2) == 0.8333333333333334)
        #expect(try topKAccuracy(yTrue: y, scores: s, k: 3) == 1.0)
        #expect(try topKAccuracy(yTrue: y, scores: s.map { $0.map(Float.init) }, k: 2) == 0.8333333333333334)
    }

    // m.top_k_accuracy_score([0,1,2,2], S2, k=k, labels=[0,1,2,3]) for k = 1, 2 → 0.25, 0.75 with
    // S2 = [[.1,.2,.3,.4],[.4,.3,.2,.1],[.25,.25,.25,.25],[0,0,.9,.1]]
    @Test func topKWithLabelAbsentFromTruth() throws {
        let s: [[Double]] = [[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 0.9, 0.1]]
        #expect(try topKAccuracy(yTrue: [0, 1, 2, 2], scores: s, k: 1, labels: [0, 1, 2, 3]) == 0.25)
        #expect(try topKAccuracy(yTrue: [0, 1, 2, 2], scores: s, k: 2, labels: [0, 1, 2, 3]) == 0.75)
        expectMetricsError(.invalidShape, mentions: ["3 classes", "4 columns"]) { _ = try topKAccuracy(yTrue: [0, 1, 2, 2], scores: s) }
        expectMetricsError(.invalidArgument, mentions: ["ascending"]) {
            _ = try topKAccuracy(yTrue: [0, 1, 2, 2], scores: s, labels: [3, 2, 1, 0])
        }
    }

    // bt = [0,1,1,0,1]: m.top_k_accuracy_score(bt, [.2,.7,.5,.6,.9], k=1) → 0.6 (threshold 0.5),
    // m.top_k_accuracy_score(bt, [-1.,2.,.3,.4,-.2], k=1) → 0.6 (threshold 0), k=2 → 1.0
    @Test func topKOfBinaryScores() throws {
        let y = [0, 1, 1, 0, 1]
        #expect(try topKAccuracy(yTrue: y, scores: [0.2, 0.7, 0.5, 0.6, 0.9], k: 1) == 0.6)
        #expect(try topKAccuracy(yTrue: y, scores: [-1.0, 2.0, 0.3, 0.4, -0.2], k: 1) == 0.6)
        #expect(try topKAccuracy(yTrue: y, scores: [0.2, 0.7, 0.5, 0.6, 0.9], k: 2) == 1.0)
        // As in scikit-learn, a binary yTrue with a two-column matrix is refused.
        expectMetricsError(.invalidShape, mentions: ["binary"]) { _ = try topKAccuracy(yTrue: y, scores: [[Double]](repeating: [0.5, 0.5], count: 5)) }
        expectMetricsError(.invalidArgument, mentions: ["k must be at least 1"]) { _ = try topKAccuracy(yTrue: y, scores: [0.1, 0.2, 0.3, 0.4, 0.5], k: 0) }
    }

    // lt = [0,1,1,0,1,0]; lp = [0.,1.,.8,.3,0.,.6]: probabilities 0 and 1 are clipped to [eps, 1-eps]
    // with eps of the input dtype: m.log_loss(lt, np.array(lp, dtype=np.float64)) → 6.256627102707376,
    // dtype=np.float32 → 2.9064157009124756 (computed in float32 by scikit-learn).
    @Test func binaryLogLossClipsAtTheInputsEpsilon() throws {
        let y = [0, 1, 1, 0, 1, 0]
        let p = [0.0, 1.0, 0.8, 0.3, 0.0, 0.6]
        expectClose(try logLoss(yTrue: y, probabilities: p), 6.256627102707376)
        expectClose(try logLoss(yTrue: y, probabilities: p.map(Float.init)), 2.9064157009124756, tolerance: 1e-6)
    }

    // m.log_loss(lt, [.1,.9,.8,.35,.7,.4]) → 0.2886913444045066; float32 → 0.28869137167930603;
    // m.log_loss([2,7,7,2], [.3,.6,.9,.2]) → 0.2990011586691898 (the column is the greater label, 7)
    @Test func binaryLogLoss() throws {
        let p = [0.1, 0.9, 0.8, 0.35, 0.7, 0.4]
        expectClose(try logLoss(yTrue: [0, 1, 1, 0, 1, 0], probabilities: p), 0.2886913444045066)
        expectClose(try logLoss(yTrue: [0, 1, 1, 0, 1, 0], probabilities: p.map(Float.init)), 0.28869137167930603, tolerance: 1e-6)
        expectClose(try logLoss(yTrue: [2, 7, 7, 2], probabilities: [0.3, 0.6, 0.9, 0.2]), 0.2990011586691898)
    }

    // m.log_loss([0,2,1,2,0], [[.7,.2,.1],[.1,.3,.6],[.2,.5,.2],[0,0,1],[.5,.5,.5]]) → 0.45075898576492274
    // (rows 3 and 5 do not sum to 1: scikit-learn 1.9 warns and does not renormalise);
    // m.log_loss([0,2,0,2], [[.6,.3,.1],[.2,.2,.6],[.5,.4,.1],[.1,.1,.8]], labels=[0,1,2]) → 0.48448549485153414;
    // m.log_loss([1,0,1], [[.2,.8],[.9,.1],[.6,.4]]) == m.log_loss([1,0,1], [[.8],[.1],[.4]]) → 0.414931599615397
    @Test func multiclassLogLoss() throws {
        let p: [[Double]] = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.2], [0.0, 0.0, 1.0], [0.5, 0.5, 0.5]]
        expectClose(try logLoss(yTrue: [0, 2, 1, 2, 0], probabilities: p), 0.45075898576492274)
        let q: [[Double]] = [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8]]
        expectClose(try logLoss(yTrue: [0, 2, 0, 2], probabilities: q, labels: [0, 1, 2]), 0.48448549485153414)
        expectClose(try logLoss(yTrue: [1, 0, 1], probabilities: [[0.2, 0.8], [0.9, 0.1], [0.6, 0.4]]), 0.414931599615397)
        expectClose(try logLoss(yTrue: [1, 0, 1], probabilities: [[0.8], [0.1], [0.4]]), 0.414931599615397)
    }

    @Test func logLossRejectsInvalidProbabilities() {
        expectMetricsError(.invalidShape, mentions: ["2 classes", "3 columns"]) {
            _ = try logLoss(yTrue: [0, 2, 0, 2], probabilities: [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8]])
        }
        expectMetricsError(.invalidShape, mentions: ["row 1"]) { _ = try logLoss(yTrue: [0, 1], probabilities: [[0.5, 0.5], [1.0]]) }
        expectMetricsError(.invalidValue, mentions: ["1.5"]) { _ = try logLoss(yTrue: [0, 1], probabilities: [0.5, 1.5]) }
        expectMetricsError(.invalidValue) { _ = try logLoss(yTrue: [0, 1], probabilities: [-0.1, 0.5]) }
        expectMetricsError(.invalidValue) { _ = try logLoss(yTrue: [0, 1], probabilities: [Double.nan, 0.5]) }
        expectMetricsError(.undefined, mentions: ["only the label 1"]) { _ = try logLoss(yTrue: [1, 1], probabilities: [0.5, 0.5]) }
        expectMetricsError(.invalidArgument, mentions: ["not in labels"]) { _ = try logLoss(yTrue: [0, 3], probabilities: [0.5, 0.5], labels: [0, 1]) }
        expectMetricsError(.lengthMismatch) { _ = try logLoss(yTrue: [0, 1, 0], probabilities: [0.5, 0.5]) }
        expectMetricsError(.emptyInput) { _ = try logLoss(yTrue: [], probabilities: [Double]()) }
    }
}
