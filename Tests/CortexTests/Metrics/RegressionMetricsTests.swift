// Regression metrics against scikit-learn 1.9.1 values (computed with /opt/torch-venv's python,
// `from sklearn import metrics as m`, and pasted here), including R²'s constant-target rules.
import Testing
import Cortex

@Suite("Metrics: regression")
struct RegressionMetricsTests {
    // m.mean_squared_error(t, p), m.root_mean_squared_error(t, p), m.mean_absolute_error(t, p), m.r2_score(t, p)
    // with t = [3.0, -0.5, 2.0, 7.0, 4.2], p = [2.5, 0.0, 2.1, 7.8, 3.9]
    @Test func smallExample() throws {
        let t = [3.0, -0.5, 2.0, 7.0, 4.2], p = [2.5, 0.0, 2.1, 7.8, 3.9]
        #expect(try meanSquaredError(yTrue: t, yPred: p) == 0.24799999999999994)
        #expect(try rootMeanSquaredError(yTrue: t, yPred: p) == 0.49799598391954925)
        #expect(try meanAbsoluteError(yTrue: t, yPred: p) == 0.44000000000000006)
        expectClose(try r2Score(yTrue: t, yPred: p), 0.9594665271966527)
    }

    // rng = np.random.default_rng(7); t = np.round(rng.normal(0, 2, 40), 3); p = np.round(t + rng.normal(0, 0.5, 40), 3)
    // then the same four functions.
    @Test func fortySamples() throws {
        let t = [0.002, 0.597, -0.548, -1.781, -0.909, -1.983, 0.12, 2.68, -0.984, -1.241, 0.98, 0.714, 0.211, -1.861,
                 -0.059, 1.391, -2.688, -0.915, -3.802, -2.579, -3.683, -0.47, -2.535, 0.543, 0.314, -0.374, -5.034,
                 -1.077, -0.097, 0.227, -3.06, -0.956, -1.957, -1.618, 2.122, -1.615, -0.065, 1.769, -1.167, -0.223]
        let p = [0.057, 0.629, -1.161, -1.743, -0.23, -2.757, 0.55, 2.74, -1.305, -0.241, 1.361, 0.114, 0.248, -1.573,
                 -0.153, 1.732, -2.721, -0.581, -3.083, -2.917, -3.581, -0.702, -2.471, -0.051, 0.024, -0.472, -4.585,
                 -0.504, -0.759, -0.17, -2.737, -1.952, -2.189, -1.667, 2.751, -1.27, -0.229, 1.585, -1.292, 0.539]
        expectClose(try meanSquaredError(yTrue: t, yPred: p), 0.20390662499999998)
        expectClose(try rootMeanSquaredError(yTrue: t, yPred: p), 0.4515602119319194)
        expectClose(try meanAbsoluteError(yTrue: t, yPred: p), 0.360925)
        expectClose(try r2Score(yTrue: t, yPred: p), 0.9223841146462013)
        // Float input gives the same to float32 precision.
        expectClose(try r2Score(yTrue: t.map(Float.init), yPred: p.map(Float.init)), 0.9223841146462013, tolerance: 1e-6)
    }

    // m.r2_score([2., 2., 2.], [2., 2., 2.]) == 1.0, m.r2_score([2., 2., 2.], [2., 2., 3.]) == 0.0;
    // with force_finite=False: nan and -inf.
    @Test func r2OfConstantTarget() throws {
        #expect(try r2Score(yTrue: [2.0, 2, 2], yPred: [2.0, 2, 2]) == 1)
        #expect(try r2Score(yTrue: [2.0, 2, 2], yPred: [2.0, 2, 3]) == 0)
        #expect(try r2Score(yTrue: [2.0, 2, 2], yPred: [2.0, 2, 2], forceFinite: false).isNaN)
        #expect(try r2Score(yTrue: [2.0, 2, 2], yPred: [2.0, 2, 3], forceFinite: false) == -.infinity)
    }

    // A "constant" 0.1 whose float mean is not exactly 0.1, so scikit-learn's denominator is tiny but
    // non-zero; n = 37 is where NumPy's pairwise mean (0.10000000000000002) and a left-to-right mean
    // (0.10000000000000005) differ. tt = [0.1] * n; pp = [0.1] * (n - 1) + [0.2]; m.r2_score(tt, pp)
    @Test(arguments: [(3, -1.7307656195116095e+31), (20, -2.5961484292674144e+30), (37, -1.4033234752796834e+30)])
    func r2FollowsNumPySummation(n: Int, expected: Double) throws {
        let t = Array(repeating: 0.1, count: n)
        let p = Array(repeating: 0.1, count: n - 1) + [0.2]
        expectClose(try r2Score(yTrue: t, yPred: p), expected, tolerance: 1e-9)
        #expect(try r2Score(yTrue: t, yPred: t) == 1)
    }

    @Test func invalidInputThrows() {
        expectMetricsError(.lengthMismatch, mentions: ["meanSquaredError", "3", "2"]) {
            _ = try meanSquaredError(yTrue: [1.0, 2, 3], yPred: [1.0, 2])
        }
        expectMetricsError(.emptyInput, mentions: ["meanAbsoluteError"]) { _ = try meanAbsoluteError(yTrue: [Double](), yPred: []) }
        expectMetricsError(.invalidValue, mentions: ["yPred[1]"]) { _ = try rootMeanSquaredError(yTrue: [1.0, 2], yPred: [1, .nan]) }
        expectMetricsError(.undefined, mentions: ["two samples"]) { _ = try r2Score(yTrue: [1.0], yPred: [1.0]) }
    }
}
