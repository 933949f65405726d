// `cortex app list` and `cortex app run` as a user meets them: the list, an unknown name, and a quick run that
// writes its report and result.json.
import Foundation
import Testing

@Suite("cortex app")
struct AppCommandLineTests {
    @Test func listsRunsAndRejects() throws {
        let list = try cortex(["app", "list"])
        #expect(list.status == 0 && list.output.contains("healthcare") && list.output.contains("forecasting"))
        #expect(list.output.contains("python3-sklearn") && list.output.contains("statsmodels==0.15.0"))

        let unknown = try cortex(["app", "run", "astrology"])
        #expect(unknown.status != 0 && unknown.error.contains("unknown application 'astrology'") && unknown.error.contains("healthcare"))

        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-apps-\(UUID())")
        defer { try? FileManager.default.removeItem(at: reports) }
        let run = try cortex(["app", "run", "healthcare", "--quick", "--reports", reports.path])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("breast cancer · accuracy") && run.output.contains("report: "))
        let folder = reports.appendingPathComponent("healthcare")
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<h1>Healthcare: breast cancer and diabetes</h1>") && html.contains("(quick)"))
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("result.json"))) as? [String: Any]
        #expect(record?["application"] as? String == "healthcare" && (record?["figures"] as? [Any])?.count == 6)
    }
}
