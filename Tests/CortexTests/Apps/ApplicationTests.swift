// Each application's --quick run end to end (fetch or find the data, check it, train, evaluate, report), and
// its data readers on damaged files: a clear error naming the file and the problem.
import Foundation
import Testing
import Cortex
@testable import CortexApps

@Suite("Applications")
struct ApplicationTests {
    /// The application's quick run on data already fetched (scripts/test runs `cortex app fetch` first): a test
    /// never reaches PyPI or apt-get.
    static func quick(_ name: String) throws -> ApplicationResult {
        try Applications.named(name)!.run(ApplicationContext(store: DataStore(fetches: false), quick: true, seed: 0))
    }

    static func temporaryFile(_ name: String, _ contents: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-app-\(UUID())-\(name)")
        try contents.write(to: url)
        return url
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func everyApplicationHasAUniqueNameAndPinnedData() {
        let names = Applications.all.map(\.name)
        #expect(Set(names).count == names.count && names == ["vision", "language", "speech", "fraud", "recommendation", "healthcare", "forecasting"])
        for app in Applications.all {
            #expect(!app.sources.isEmpty && app.sources.allSatisfy { !$0.files.isEmpty || !$0.trees.isEmpty })
            #expect(app.sources.flatMap(\.files).allSatisfy { $0.sha256.count == 64 && $0.size > 0 })
        }
    }

    @Test func healthcareQuickRunScoresBothTablesAndReportsThem() throws {
        let result = try Self.quick("healthcare")
        let value = { (metric: String) in result.figures.first { $0.metric.hasPrefix(metric) }?.value ?? .nan }
        // Even 15 epochs separate the tumours well; the full run is held to ≥ 0.96 in Benchmarks/apps.sh.
        #expect(value("accuracy") > 0.9 && value("ROC-AUC") > 0.95 && value("Brier score") < 0.08)
        #expect(value("R² (5-fold CV, linear)") > 0.4, "least squares needs no epochs")
        let html = result.report.html()
        for part in ["Breast cancer: the data", "Calibration (10 bins)", "Diabetes: 5-fold cross-validation", "569 × 30", "442 × 11"] {
            #expect(html.contains(part), "the report lacks \(part)")
        }
    }

    @Test func forecastingQuickRunComparesNetworksWithTheBaselines() throws {
        let result = try Self.quick("forecasting")
        #expect(result.figures.count == 4 && result.figures.allSatisfy { $0.value.isFinite && $0.value > 0 })
        // Forecasting each year as the last one (the naive row of the report) scores 27.2 one step ahead and 60.3
        // dynamically. The quick networks score 12.8 (MLP) and 14.4 (LSTM), AR(9) 14.8 and 15.2; networks that
        // ignore their inputs (the lags multiplied by 0) scored 54.0 and 53.6.
        let value = { (prefix: String) in result.figures.first { $0.metric.hasPrefix(prefix) }?.value ?? .nan }
        #expect(value("one-step RMSE 1989–2008, MLP") < 22 && value("one-step RMSE 1989–2008, LSTM") < 22, "\(result.figures.map(\.value))")
        #expect(value("one-step RMSE, AR") < 20 && value("dynamic RMSE, AR") < 40, "\(result.figures.map(\.value))")
        let html = result.report.html()
        #expect(html.contains("naive (last year)") && html.contains("One step ahead") && html.contains("1989–2008"))
    }

    @Test func visionQuickRunClassifiesClothing() throws {
        let result = try Self.quick("vision")
        let accuracy = result.figures.first { $0.metric.hasPrefix("test accuracy") }?.value ?? 0
        #expect(accuracy > 0.6, "two epochs on 1,600 images already beat chance (0.1) by far: \(accuracy)")
        let html = result.report.html()
        #expect(html.contains("2000 × 1000") && html.contains("Ankle boot") && html.contains("Accuracy per epoch"))
    }

    @Test func languageQuickRunFineTunesMiniLMAndTrainsAnLSTM() throws {
        let result = try Self.quick("language")
        #expect(result.figures.count == 2 && result.figures.allSatisfy { $0.value.isFinite })
        let miniLM = result.figures.first { $0.metric.hasSuffix("MiniLM fine-tuned") }?.value ?? 0
        #expect(miniLM > 0.4, "one epoch on 80 articles moves the pretrained encoder past chance (0.2): \(miniLM)")
        let html = result.report.html()
        #expect(html.contains("2225 in 5 topics") && html.contains("articles repeated word for word (dropped)"))
    }

    @Test func speechQuickRunTrainsBothNetworksOnPaddedRecordings() throws {
        let result = try Self.quick("speech")
        #expect(result.figures.count == 2 && result.figures.allSatisfy { $0.value > 0.2 },
                "3 epochs on 280 recordings already beat chance (0.1): \(result.figures.map(\.value))")
        let html = result.report.html()
        #expect(html.contains("400 × 13") && html.contains("no speaker labels") && html.contains("test confusion matrix"))
    }

    @Test func aDigitsArchiveWithoutItsArraysIsNamed() throws {
        let wrong = try Self.temporaryFile("digits.npz", Data(contentsOf: Fixtures.resources.appendingPathComponent("npy/deflated.npz")))
        let message = Self.message { _ = try SpeechApplication.readDigits(wrong) }
        #expect(message.contains(wrong.path) && message.contains("expected the arrays X, y and lengths"), "\(message)")
    }

    @Test func fraudQuickRunScoresBothDetectorsOnATimeOrderedSplit() throws {
        let result = try Self.quick("fraud")
        #expect(result.figures.count == 4 && result.figures.allSatisfy { $0.value.isFinite })
        let value = { (prefix: String) in result.figures.first { $0.metric.hasPrefix(prefix) }?.value ?? 0 }
        // Scores that rank at random give a ROC-AUC of 0.5 and an average precision of the fraud rate (0.2 %);
        // the quick run gave 0.90 and 0.58 (MLP), 0.76 and 0.016 (autoencoder).
        #expect(value("test ROC-AUC, MLP") > 0.8, "three epochs on 36,000 transactions already rank frauds high: \(result.figures.map(\.value))")
        #expect(value("test average precision, MLP") > 0.2 && value("test ROC-AUC, autoencoder") > 0.65, "\(result.figures.map(\.value))")
        let html = result.report.html()
        #expect(html.contains("60000 × 30") && html.contains("Precision–recall, test") && html.contains("frauds caught"))
    }

    @Test func aTransactionsTableWithoutItsColumnsOrCutShortIsNamed() throws {
        let header = "\"Time\"," + (1...28).map { "\"V\($0)\"" }.joined(separator: ",") + ",\"Amount\",\"Class\""
        let row = "0," + (1...28).map { "0.\($0)" }.joined(separator: ",") + ",12.5,\"0\""
        let noAmount = try Self.temporaryFile("creditcard.csv", Data((header.replacingOccurrences(of: "\"Amount\"", with: "\"Sum\"") + "\n" + row + "\n").utf8))
        let missing = Self.message { _ = try FraudApplication.readTransactions(noAmount) }
        #expect(missing.contains(noAmount.path) && missing.contains("no column 'Amount'"), "\(missing)")
        let cut = try Self.temporaryFile("creditcard.csv", Data((header + "\n" + row + "\n" + row.prefix(40)).utf8))
        let truncated = Self.message { _ = try FraudApplication.readTransactions(cut) }
        #expect(truncated.contains(cut.path) && truncated.contains("line 3"), "\(truncated)")
    }

    @Test func recommendationQuickRunPredictsAndRanksRatings() throws {
        let result = try Self.quick("recommendation")
        let rmse = result.figures.filter { $0.metric.hasPrefix("RMSE") }.map(\.value)
        // A constant guess of the mean rating scores about 1.12 here; three epochs already do better.
        #expect(rmse.count == 2 && rmse.allSatisfy { $0 > 0.8 && $0 < 1.1 }, "\(rmse)")
        let hit = result.figures.first { $0.metric.hasPrefix("HR@10") }?.value ?? -1
        #expect(hit >= 0 && hit <= 1)
        let html = result.report.html()
        #expect(html.contains("repeated (user, film) pairs") && html.contains("Top-10 ranking") && html.contains("popularity"))
    }

    @Test func aRatingsFileWithAMissingColumnOrABadRatingIsNamed() throws {
        let header = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        let noTime = try Self.temporaryFile("ml-100k.inter", Data("user_id:token\titem_id:token\trating:float\n1\t2\t3\n".utf8))
        #expect(Self.message { _ = try RecommendationApplication.readRatings(noTime) }.contains("no column 'timestamp'"))
        let badRating = try Self.temporaryFile("ml-100k.inter", Data((header + "1\t2\t3\t100\n1\t3\t9\t101\n").utf8))
        let message = Self.message { _ = try RecommendationApplication.readRatings(badRating) }
        #expect(message.contains(badRating.path) && message.contains("line 3"), "\(message)")
        let (ratings, users, items) = try RecommendationApplication.readRatings(
            Self.temporaryFile("ml-100k.inter", Data((header + "7\t2\t3\t100\n5\t2\t4\t101\n7\t9\t5\t102\n").utf8)))
        #expect(users == 2 && items == 2 && ratings.map(\.user) == [0, 1, 0] && ratings.map(\.item) == [0, 0, 1])
    }

    @Test func damagedTablesAreNamedWithTheirProblem() throws {
        let noColumn = try Self.temporaryFile("sunspots.csv", Data("\"YEAR\",\"SPOTS\"\n1700,5\n".utf8))
        #expect(Self.message { _ = try ForecastingApplication.readSunspots(noColumn) }.contains("\(noColumn.path): the header does not name"))
        var lines = ["\"YEAR\",\"SUNACTIVITY\""] + (1700..<1800).map { "\($0),\($0 % 11)" }
        lines[40] = "1739,"
        let badNumber = try Self.temporaryFile("sunspots.csv", Data(lines.joined(separator: "\n").utf8))
        #expect(Self.message { _ = try ForecastingApplication.readSunspots(badNumber) }.contains("line 41 is not a year and a number"))
        lines[40] = "1741,3"
        let gap = try Self.temporaryFile("sunspots.csv", Data(lines.joined(separator: "\n").utf8))
        #expect(Self.message { _ = try ForecastingApplication.readSunspots(gap) }.contains("year 1741 follows 1738"))

        // A diabetes file cut short: gzip's own check fails, and the error names the file.
        let full = try Data(contentsOf: URL(fileURLWithPath: HealthcareApplication.folder + "diabetes_data_raw.csv.gz"))
        let cut = try Self.temporaryFile("diabetes_data_raw.csv.gz", full.prefix(full.count / 2))
        let target = URL(fileURLWithPath: HealthcareApplication.folder + "diabetes_target.csv.gz")
        #expect(Self.message { _ = try HealthcareApplication.readDiabetes(data: cut, target: target) }.contains(cut.path))
        // Features and targets that do not pair up.
        #expect(Self.message { _ = try HealthcareApplication.readDiabetes(data: URL(fileURLWithPath: HealthcareApplication.folder + "diabetes_data_raw.csv.gz"), target: URL(fileURLWithPath: HealthcareApplication.folder + "diabetes_data_raw.csv.gz")) }
            .contains("not 1 space-separated numbers"))
    }
}
