// Cross-validation summaries: mean and population standard deviation per metric, as NumPy computes
// them, and the text table.
import Testing
import Cortex

@Suite("Metrics: cross-validation summary")
struct CrossValidationMetricsTests {
    private let folds: [[String: Double]] = [
        ["accuracy": 0.91, "loss": 0.32], ["accuracy": 0.88, "loss": 0.41], ["accuracy": 0.93, "loss": 0.29],
        ["accuracy": 0.90, "loss": 0.35], ["accuracy": 0.87, "loss": 0.40],
    ]

    // np.mean(a), np.std(a) (ddof=0) of a = [.91, .88, .93, .90, .87] → 0.898, 0.02135415650406264;
    // of [.32, .41, .29, .35, .40] → 0.354, 0.04586937976471886
    @Test func meanAndPopulationStandardDeviation() throws {
        let summary = try CrossValidationSummary(folds: folds)
        #expect(summary.foldCount == 5 && summary.metricNames == ["accuracy", "loss"])
        let accuracy = try #require(summary["accuracy"]), loss = try #require(summary["loss"])
        #expect(accuracy.values == [0.91, 0.88, 0.93, 0.90, 0.87])
        expectClose(accuracy.mean, 0.898)
        expectClose(accuracy.standardDeviation, 0.02135415650406264)
        expectClose(loss.mean, 0.354)
        expectClose(loss.standardDeviation, 0.04586937976471886)
        #expect(summary["f1"] == nil)
    }

    // x = [0.1]*37 + [0.3]: np.mean(x) → 0.10526315789473686, np.std(x) → 0.03201453963314852
    @Test func manyFoldsFollowNumPy() throws {
        let summary = try crossValidate(folds: 38) { fold in ["score": fold == 37 ? 0.3 : 0.1] }
        let score = try #require(summary["score"])
        #expect(score.mean == 0.10526315789473686)
        expectClose(score.standardDeviation, 0.03201453963314852)
    }

    @Test func tableLayout() throws {
        let table = try CrossValidationSummary(folds: Array(folds.prefix(2))).table(digits: 3)
        #expect(table == """
            metric     mean    std  fold 0  fold 1
            accuracy  0.895  0.015   0.910   0.880
            loss      0.365  0.045   0.320   0.410

            """)
    }

    @Test func crossValidateCallsEveryFoldInOrder() throws {
        var seen = [Int]()
        let summary = try crossValidate(folds: 3) { fold in
            seen.append(fold)
            return ["fold": Double(fold)]
        }
        #expect(seen == [0, 1, 2])
        #expect(summary["fold"]?.values == [0, 1, 2] && summary["fold"]?.mean == 1)
    }

    @Test func invalidFoldsThrow() {
        expectMetricsError(.emptyInput) { _ = try CrossValidationSummary(folds: []) }
        expectMetricsError(.emptyInput) { _ = try CrossValidationSummary(folds: [[:]]) }
        expectMetricsError(.invalidArgument, mentions: ["fold 1", "loss"]) {
            _ = try CrossValidationSummary(folds: [["accuracy": 0.9, "loss": 0.3], ["accuracy": 0.8]])
        }
        expectMetricsError(.invalidArgument, mentions: ["folds must be at least 1"]) { _ = try crossValidate(folds: 0) { _ in [:] } }
    }
}
