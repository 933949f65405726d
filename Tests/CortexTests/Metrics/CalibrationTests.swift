// The Brier score and the calibration curve against scikit-learn 1.2 (Debian's python3-sklearn), whose
// outputs for these inputs are written below.
import Testing
import Cortex

@Suite("Calibration metrics")
struct CalibrationTests {
    static let labels = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1]
    static let probabilities = [0.1, 0.9, 0.8, 0.3, 0.65, 0.2, 0.5, 0.5, 0.7, 0.05, 1.0, 0.3]

    @Test func brierScoreMatchesScikitLearn() throws {
        // brier_score_loss(y, p) = 0.11625; with pos_label=5 on labels {2, 5}: 0.07500000000000001.
        #expect(abs(try brierScore(yTrue: Self.labels, probabilities: Self.probabilities) - 0.11625) < 1e-15)
        #expect(abs(try brierScore(yTrue: [2, 5, 5, 2], probabilities: [0.2, 0.7, 0.9, 0.4], positiveLabel: 5) - 0.075) < 1e-15)
        #expect(throws: MetricsError.self) { try brierScore(yTrue: [0, 1], probabilities: [0.5, 1.5]) }
        #expect(throws: MetricsError.self) { try brierScore(yTrue: [0, 1], probabilities: [0.5]) }
    }

    @Test func calibrationCurveMatchesScikitLearn() throws {
        // calibration_curve(y, p, n_bins=10): 0.1 and 0.5 lie on edges and go to the lower bin; 0.7 lies below the
        // edge 7 × 0.1 = 0.7000000000000001, so it joins 0.65; 1.0 goes to the last bin.
        let curve = try calibrationCurve(yTrue: Self.labels, probabilities: Self.probabilities, bins: 10)
        #expect(curve.fractionPositive == [0, 0, 0.5, 0.5, 1, 1, 1, 1])
        let expected = [0.075, 0.2, 0.3, 0.5, 0.675, 0.8, 0.9, 1.0]
        #expect(zip(curve.meanPredicted, expected).allSatisfy { abs($0 - $1) < 1e-12 } && curve.meanPredicted.count == 8)
        #expect(curve.counts == [2, 1, 2, 2, 2, 1, 1, 1])
        #expect(throws: MetricsError.self) { try calibrationCurve(yTrue: [0], probabilities: [0.5], bins: 0) }
    }
}
