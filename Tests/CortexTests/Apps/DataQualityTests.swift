// The data-quality checks every table application reports.
import Testing
import Foundation
@testable import CortexApps

@Suite("Data quality")
struct DataQualityTests {
    @Test func findsMissingCellsDuplicatesConstantColumnsImbalanceAndLeakage() {
        let rows: [[Double]] = [[1, 5, 0], [2, .nan, 0], [1, 5, 0], [3, 6, 0], [4, 7, 0], [2, .nan, 0]]
        let quality = DataQuality(rows: rows, columns: ["a", "b", "c"], labels: [0, 1, 0, 1, 1, 1], classNames: ["no", "yes"],
                                  splits: [("train", [0, 1, 3]), ("test", [2, 4, 5])])
        #expect(quality.missing.map(\.column) == ["b"] && quality.missing.map(\.count) == [2])
        #expect(quality.duplicateRows == 2, "rows 2 and 5 repeat rows 0 and 1, missing cells included")
        #expect(quality.constantColumns == ["c"])
        #expect(quality.classCounts.map(\.count) == [2, 4] && quality.classCounts.map(\.name) == ["no", "yes"])
        #expect(quality.leakage.count == 1 && quality.leakage[0].shared == 2 && quality.leakage[0].of == 3)
        #expect(quality.warnings.count == 4)
        let clean = DataQuality(rows: [[1, 2], [3, 4]], columns: ["x", "y"], splits: [("train", [0]), ("test", [1])])
        #expect(clean.warnings.isEmpty && clean.duplicateRows == 0 && clean.constantColumns.isEmpty)
    }

    @Test func flagsImbalanceWithBalancedWeightsAndFeatureScales() {
        // 8 of class 0, 2 of class 1; column "income" spreads 1000× wider than "rate".
        let rows: [[Double]] = (0..<10).map { i in [Double(i) * 1000, Double(i % 3) * 0.5] }
        let quality = DataQuality(rows: rows, columns: ["income", "rate"], labels: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1], classNames: ["no", "yes"])
        #expect(quality.imbalance == 4)
        // scikit-learn's compute_class_weight("balanced"): 10 / (2 × 8) and 10 / (2 × 2).
        #expect(quality.suggestedClassWeights.map(\.weight) == [0.625, 2.5])
        #expect((quality.scaleSpread ?? 0) > 100)
        #expect(quality.warnings.count == 2, "\(quality.warnings)")
        #expect(quality.warnings[0].contains("no 0.62, yes 2.50") && quality.warnings[1].contains("standardise"))
        #expect(quality.rows(isImage: true).allSatisfy { !$0[0].contains("constant") && !$0[0].contains("scale") })
        let balanced = DataQuality(rows: rows, columns: ["a", "b"], labels: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        #expect(balanced.imbalance == 1 && balanced.suggestedClassWeights.map(\.weight) == [1, 1])
    }

    @Test func leastSquaresAndAutoregressionRecoverExactModels() throws {
        let x = (0..<20).map { i in [Double(i), Double((i * 7) % 5)] }
        let y = x.map { 1.5 + 2 * $0[0] - 0.5 * $0[1] }
        let b = try leastSquares(x, y)
        #expect(zip(b, [1.5, 2, -0.5]).allSatisfy { abs($0 - $1) < 1e-9 }, "\(b)")
        #expect(throws: (any Error).self) { try leastSquares(x.map { [$0[0], 2 * $0[0]] }, y) }
        // A quintic on [1, 2]: the design matrix's condition number is 6e5, so a solver working on it loses about
        // 6e5 × 1.1e-16 of relative accuracy (7e-11, times a small factor), where the normal equations square it
        // (4e-5; Gaussian elimination on them was off by 6.7e-6). 1e-8 is a hundred times the first.
        let powers = (0...50).map { i in (1...5).map { pow(1 + Double(i) / 50, Double($0)) } }
        let quintic = [1, -2, 3, -1, 0.5, -0.25]
        let fitted = try leastSquares(powers, powers.map { row in quintic[0] + zip(row, quintic.dropFirst()).map(*).reduce(0, +) })
        #expect(zip(fitted, quintic).allSatisfy { abs($0 - $1) < 1e-8 }, "\(fitted)")
        // y_t = 3 + 0.6 y_{t−1} − 0.2 y_{t−2}, started away from its mean.
        var series = [10.0, -4.0]
        for t in 2..<40 { series.append(3 + 0.6 * series[t - 1] - 0.2 * series[t - 2]) }
        let ar = try AutoRegression(series[...], order: 2)
        #expect(zip(ar.coefficients, [3, 0.6, -0.2]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(ar.coefficients)")
        #expect(abs(ar.predict(series[..<30]) - series[30]) < 1e-6)
        let ahead = ar.dynamic(series[..<30], steps: 5)
        #expect(zip(ahead, series[30..<35]).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}
