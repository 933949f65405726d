// The NumPy-order sum the metrics rely on to equal scikit-learn bit for bit.
import Testing
import Cortex
@testable import CortexMetrics

@Suite("Metrics: NumPy-order summation")
struct SummationMetricsTests {
    // np.add.reduce(np.array(v)) for v = [0.1] * n: n = 7 is a plain loop, 37 uses eight partial sums
    // (a left-to-right sum gives 3.700000000000002), 300 splits pairwise.
    @Test(arguments: [(7, 0.7), (37, 3.7000000000000006), (300, 29.999999999999996)])
    func matchesNumPy(n: Int, expected: Double) {
        #expect(pairwiseSum(Array(repeating: 0.1, count: n)) == expected)
    }

    @Test func weightedAverageOfZeroWeightsIsNil() {
        #expect(numpyWeightedAverage([1, 2], weights: [0, 0]) == nil)
        #expect(numpyWeightedAverage([1, 2], weights: [1, 3]) == 1.75)
    }
}
