// The run report: sections appear with their data and vanish without it, every SVG (and the whole
// page) is well-formed XML, hostile text is escaped, axis ticks are round and cover the data,
// embedded PNGs decode, and the heat map draws one cell per matrix entry.
import CZlib
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Cortex
@testable import CortexExplain
@testable import CortexReport

/// A classification history with plausible curves; `validation: false` leaves validation out.
private func reportHistory(epochs: Int, validation: Bool = true) -> History {
    var history = History(metricName: "accuracy")
    for e in 1...epochs {
        let t = Double(e)
        history.epochs.append(EpochRecord(epoch: e, trainLoss: 0.3 + 0.9 / t, trainMetric: 0.95 - 0.25 / t,
                                          validationLoss: validation ? 0.35 + 0.8 / t : nil,
                                          validationMetric: validation ? 0.92 - 0.22 / t : nil,
                                          learningRate: 1e-3, seconds: 2.5))
    }
    return history
}

/// A report with every section filled, over `names`.
private func fullReport(names: [String] = ["cat", "dog", "bird"]) -> RunReport {
    let n = names.count
    let matrix = (0..<n).map { i in (0..<n).map { j in i == j ? 40 + i : (i + 2 * j) % 5 } }
    let scores = names.map { ReportClassScores(name: $0, precision: 0.9, recall: 0.8, f1: 0.847, support: 50) }
    let curves = names.map { ReportROCCurve(name: $0, fpr: [0, 0, 0.1, 0.1, 0.5, 1], tpr: [0, 0.4, 0.6, 0.9, 0.95, 1], auc: 0.93) }
    let samples = (0..<4).map { i in
        ReportImage(pixels: (0..<64).map { Float(($0 * 7 + i) % 11) / 10 }, width: 8, height: 8,
                    predicted: names[i % n], actual: names[(i == 3 ? 1 : i) % n])
    }
    return RunReport(title: "Test run", summary: [ReportItem("Model", "MLP"), ReportItem("Epochs", "5")],
                     history: reportHistory(epochs: 5), classNames: names, confusionMatrix: matrix, perClass: scores,
                     rocCurves: curves, samples: samples)
}

/// Every `<svg>…</svg>` element of a page (they are never nested).
private func svgElements(_ html: String) -> [String] {
    var found: [String] = [], rest = html[...]
    while let start = rest.range(of: "<svg"), let end = rest[start.upperBound...].range(of: "</svg>") {
        found.append(String(rest[start.lowerBound..<end.upperBound]))
        rest = rest[end.upperBound...]
    }
    return found
}

/// The parser's complaint when `text` is not well-formed XML, nil when it is. On Linux `parse()`
/// can return true for a document that ends early or has mismatched tags, reporting the problem
/// only in `parserError`, so both are checked.
private func xmlError(_ text: String) -> String? {
    let parser = XMLParser(data: Data(text.utf8))
    let parsed = parser.parse()
    if parsed, parser.parserError == nil { return nil }
    return String(describing: parser.parserError)
}

private func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

/// A bitwise CRC-32, written independently of the encoder's table-driven one.
private func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}

private func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reduce(0) { $0 << 8 | UInt32($1) }
}

/// The chunks of a PNG file, each checked against its CRC; fails the test on any damage.
private func pngChunks(_ png: [UInt8]) -> [(type: String, data: [UInt8])] {
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    var chunks: [(String, [UInt8])] = [], at = 8
    while at + 12 <= png.count {
        let length = Int(bigEndian(png[at..<(at + 4)]))
        let typeAndData = Array(png[(at + 4)..<(at + 8 + length)])
        #expect(bigEndian(png[(at + 8 + length)..<(at + 12 + length)]) == referenceCRC32(typeAndData))
        chunks.append((String(decoding: typeAndData.prefix(4), as: UTF8.self), Array(typeAndData.dropFirst(4))))
        at += 12 + length
    }
    #expect(at == png.count)
    return chunks
}

/// The bytes inside a zlib stream of stored deflate blocks, after checking headers and Adler-32.
/// The bytes of a zlib stream, inflated by the system zlib (which also checks its Adler-32).
private func inflated(_ zlib: [UInt8], size: Int) -> [UInt8] {
    #expect((UInt32(zlib[0]) << 8 | UInt32(zlib[1])) % 31 == 0 && zlib[0] & 0x0F == 8)
    var out = [UInt8](repeating: 0, count: size + 1), length = uLongf(size + 1)
    let status = uncompress(&out, &length, zlib, uLong(zlib.count))
    #expect(status == Z_OK)
    return Array(out[..<Int(length)])
}

@Suite("Report")
struct ReportTests {
    let sectionIDs = ["id=\"training\"", "id=\"confusion-matrix\"", "id=\"per-class\"", "id=\"roc\"", "id=\"samples\""]

    @Test func everySectionAppearsWithItsData() {
        let html = fullReport().html()
        for id in sectionIDs { #expect(html.contains(id), "missing \(id)") }
        #expect(html.contains("<h1>Test run</h1>"))
        #expect(html.contains("<th scope=\"row\">Model</th><td>MLP</td>"))
        #expect(html.contains("macro average") && html.contains("weighted average"))
        #expect(html.contains("AUC 0.930"))
        // Training loss, metric, heat map and ROC; the learning rate was constant, so no chart for it.
        #expect(svgElements(html).count == 4)
        #expect(!html.contains("<script"))
        // Self-contained: the only URL is the SVG namespace, which is a name, not a fetch.
        #expect(!html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"))
    }

    @Test func sectionsWithoutDataAreOmitted() {
        let empty = RunReport(title: "Nothing yet", history: History(metricName: "accuracy")).html()
        for id in sectionIDs { #expect(!empty.contains(id), "\(id) shown with no data") }
        #expect(svgElements(empty).isEmpty)
        #expect(!empty.contains("class=\"summary\""))
        #expect(empty.contains("<h1>Nothing yet</h1>"))

        // Regression: curves only, and no validation line when there is no validation set.
        var history = reportHistory(epochs: 4, validation: false)
        history.metricName = "mae"
        let regression = RunReport(title: "Regression", history: history, confusionMatrix: [], perClass: []).html()
        #expect(regression.contains("id=\"training\""))
        for id in sectionIDs.dropFirst() { #expect(!regression.contains(id)) }
        #expect(!regression.contains(">validation<"))
        #expect(regression.contains(">MAE<"))
    }

    @Test func svgAndTheWholePageAreWellFormedXML() throws {
        var report = fullReport()
        for i in report.history.epochs.indices { report.history.epochs[i].learningRate = 0.1 / Double(i + 1) }
        let html = report.html()
        let svgs = svgElements(html)
        #expect(svgs.count == 5)  // the schedule adds a learning-rate chart
        for svg in svgs { #expect(xmlError(svg) == nil) }
        let document = try #require(html.range(of: "<html")).lowerBound
        #expect(xmlError(String(html[document...])) == nil)
    }

    @Test func hostileTextIsEscapedEverywhere() {
        let evil = "<b>&\"x\""
        var report = fullReport(names: [evil, "it's", "a\u{1}b"])
        report.title = "Title \(evil)"
        report.summary.append(ReportItem(evil, evil))
        report.history.metricName = evil
        let html = report.html()
        #expect(!html.contains(evil))
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;b&gt;&amp;&quot;x&quot;"))
        #expect(!html.contains("\u{1}"))
        for svg in svgElements(html) { #expect(xmlError(svg) == nil) }
        let document = html.range(of: "<html")!.lowerBound
        #expect(xmlError(String(html[document...])) == nil)
        #expect("a<'b'>&c".htmlEscaped == "a&lt;&#39;b&#39;&gt;&amp;c")
    }

    @Test(arguments: [(0.2317, 1.8734), (0.81, 0.93), (-3.2, 47.0), (0.5, 0.5), (0, 1e-5), (12_345, 98_765), (-0.004, 0.0), (0.3, 0.9)])
    func ticksAreRoundAndCoverTheData(low: Double, high: Double) {
        let ticks = AxisTicks(covering: low, high)
        checkRound(ticks, low: low, high: high)
    }

    @Test func epochTicksAreWholeNumbers() {
        for (low, high) in [(1.0, 20.0), (1.0, 1.0), (1.0, 3.0), (1.0, 150.0)] {
            let ticks = AxisTicks(covering: low, high, targetCount: 7, integerStep: true)
            checkRound(ticks, low: low, high: high)
            #expect(ticks.values.allSatisfy { $0 == $0.rounded() })
            #expect(ticks.values.map(ticks.label).allSatisfy { !$0.contains(".") })
        }
        // Round values in the rendered chart too: the loss axis of a real history.
        let svg = LineChart(id: "t", title: "Loss", xLabel: "epoch", yLabel: "loss",
                            series: [ChartSeries(name: "train", color: "#000", points: [(1, 0.2317), (2, 1.8734)])], integerX: true).svg()
        let labels = svg[svg.range(of: "<g class=\"tick-labels\">")!.upperBound...].prefix(while: { $0 != "\n" })
        #expect(labels.contains(">0.0<") && labels.contains(">0.5<") && labels.contains(">1.5<") && !labels.contains("0.2317"))
    }

    func checkRound(_ ticks: AxisTicks, low: Double, high: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        let exponent = floor(log10(ticks.step))
        let mantissa = ticks.step / pow(10, exponent)
        #expect([1.0, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "step \(ticks.step)", sourceLocation: sourceLocation)
        #expect((3...8).contains(ticks.values.count), "\(ticks.values)", sourceLocation: sourceLocation)
        for v in ticks.values {
            #expect(abs(v / ticks.step - (v / ticks.step).rounded()) < 1e-6, "\(v) is not a multiple of \(ticks.step)", sourceLocation: sourceLocation)
        }
        let tolerance = ticks.step * 1e-9
        #expect(ticks.values.first! <= low + tolerance && ticks.values.last! >= high - tolerance, "\(ticks.values) vs \(low)…\(high)",
                sourceLocation: sourceLocation)
        // Labels are short and distinct: no 0.30000000000000004, no two ticks printed alike.
        let labels = ticks.values.map(ticks.label)
        #expect(Set(labels).count == labels.count && labels.allSatisfy { $0.count <= 7 }, "\(labels)", sourceLocation: sourceLocation)
    }

    @Test func pngDataURLDecodes() throws {
        // Values outside 0…1 and NaN are clamped; a short buffer is padded with black.
        let pixels: [Float] = [0, 0.5, 1, 1.5, -2, .nan, 0.25, 0.75, 1, 0, 0.1, 0.2, 0.3, 0.4]
        let image = ReportImage(pixels: pixels, width: 5, height: 3, predicted: "a", actual: "b")
        let url = try #require(image.pngDataURL)
        #expect(url.hasPrefix("data:image/png;base64,"))
        let png = [UInt8](try #require(Data(base64Encoded: String(url.dropFirst("data:image/png;base64,".count)))))
        let chunks = pngChunks(png)
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        let header = chunks[0].data
        #expect(bigEndian(header[0..<4]) == 5 && bigEndian(header[4..<8]) == 3)
        #expect(Array(header[8...]) == [8, 0, 0, 0, 0])
        let raw = inflated(chunks[1].data, size: 18)
        let expected: [UInt8] = [0, 0, 128, 255, 255, 0,  0, 0, 64, 191, 255, 0,  0, 26, 51, 77, 102, 0]
        #expect(raw == expected)

        // Larger than 64 KB, in colour.
        let big = PNGEncoder.encode(width: 300, height: 120, colorType: .rgb, samples: (0..<(300 * 120 * 3)).map { UInt8($0 % 251) })
        let bigChunks = pngChunks(big)
        #expect(Array(bigChunks[0].data[8..<10]) == [8, 2])
        let bigRaw = inflated(bigChunks[1].data, size: 120 * 901)
        #expect(bigRaw.count == 120 * (300 * 3 + 1))
        #expect(bigRaw[1 + 900 + 1 + 5] == UInt8((900 + 5) % 251))
        #expect(PNGEncoder.crc32(Array("IEND".utf8)) == 0xAE42_6082)

        #expect(ReportImage(pixels: [], width: 0, height: 4, predicted: "a", actual: "a").pngDataURL == nil)
    }

    @Test func heatMapHasOneCellPerEntry() {
        let square = ConfusionHeatmap(matrix: [[50, 2, 0], [3, 40, 7], [0, 1, 60]], classNames: ["a", "b", "c"]).svg()
        #expect(occurrences(of: "class=\"cell\"", in: square) == 9)
        #expect(occurrences(of: "class=\"count\"", in: square) == 9)
        #expect(square.contains(">true</text>") && square.contains(">predicted</text>"))
        #expect(xmlError(square) == nil)
        // The dark diagonal gets white counts, near-empty cells dark ones.
        #expect(square.contains("fill=\"#ffffff\">50</text>"))
        #expect(square.contains("fill=\"#1f2937\">1</text>"))

        // Ragged rows and missing or very long names: still one cell per entry, names cut short.
        let long = String(repeating: "Long class name ", count: 4)
        let ragged = ConfusionHeatmap(matrix: [[1, 2], [3], [4, 5, 6]], classNames: [long]).svg()
        #expect(occurrences(of: "class=\"cell\"", in: ragged) == 6)
        #expect(ragged.contains(">class 2</text>"))
        #expect(ragged.contains(long.truncated(to: ConfusionHeatmap.labelLimit).htmlEscaped + "</text>"))
        #expect(xmlError(ragged) == nil)
    }

    @Test func oneEpochAndNonFiniteValuesStillDraw() {
        var history = reportHistory(epochs: 1)
        let single = RunReport(title: "One", history: history).html()
        let charts = svgElements(single)
        #expect(charts.count == 2)
        // A single epoch is a dot, not an invisible zero-length line.
        for svg in charts {
            #expect(svg.contains("<circle") && !svg.contains("class=\"line\""))
            #expect(xmlError(svg) == nil)
        }

        history = reportHistory(epochs: 6)
        history.epochs[2].trainLoss = .nan
        history.epochs[4].validationLoss = .infinity
        history.epochs[1].validationMetric = nil
        let html = RunReport(title: "Gaps", history: history).html()
        let loss = svgElements(html)[0]
        #expect(!loss.lowercased().contains("nan") && !loss.lowercased().contains("inf"))
        // The NaN splits the train line in two (epochs 1–2 and 4–6); the infinity ends the
        // validation line at epoch 4 and leaves epoch 6 as a lone dot.
        #expect(occurrences(of: "class=\"line\" d=\"M", in: loss) == 3)
        #expect(loss.contains("r=\"4\""))
        #expect(xmlError(loss) == nil)
        #expect(AxisTicks(covering: .nan, .infinity).values.allSatisfy { $0.isFinite })
    }

    @Test func wrongPredictionsAreMarked() {
        let html = fullReport().html()
        #expect(occurrences(of: "class=\"sample wrong\"", in: html) == 1)
        #expect(occurrences(of: "class=\"sample right\"", in: html) == 3)
        let wrong = html[html.range(of: "class=\"sample wrong\"")!.lowerBound...].prefix(while: { $0 != "\n" })
        #expect(wrong.contains(">pred: cat</span>") && wrong.contains(">true: dog</span>"))
        #expect(html.contains("3 of 4 correct"))
    }

    @Test func rowsComeFromTheMetricsToolkit() throws {
        let yTrue = [0, 0, 1, 1, 2, 2, 2], yPred = [0, 1, 1, 1, 2, 0, 2]
        let metrics = try classificationReport(yTrue: yTrue, yPred: yPred, targetNames: ["a", "b", "c"])
        let rows = ReportClassScores.rows(of: metrics)
        #expect(rows.map(\.name) == ["a", "b", "c"] && rows.map(\.support) == [2, 2, 3])
        #expect(rows[1].precision == 2.0 / 3 && rows[1].recall == 1)
        let html = RunReport(title: "t", history: reportHistory(epochs: 2), perClass: rows).html()
        // The table's averages are the ones scikit-learn's classification_report prints.
        #expect(html.contains(">macro average</th><td class=\"num\">\(String(format: "%.3f", metrics.macroAverage.precision))<"))
        #expect(html.contains(">weighted average</th><td class=\"num\">\(String(format: "%.3f", metrics.weightedAverage.precision))<"))

        let curve = ReportROCCurve(name: "pos", curve: try rocCurve(yTrue: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8]))
        #expect(abs(curve.auc - 0.75) < 1e-12)  // scikit-learn's roc_auc_score example
        #expect(curve.fpr.first == 0 && curve.tpr.last == 1)
    }

    @Test func rocCurvesKeepOnlyTheirCorners() {
        let stepped: [(x: Double, y: Double)] = [(0, 0), (0, 0.2), (0, 0.4), (0.1, 0.4), (0.2, 0.4), (0.2, 1), (1, 1)]
        let corners = RunReport.corners(stepped)
        #expect(corners.map(\.x) == [0, 0, 0.2, 0.2, 1] && corners.map(\.y) == [0, 0.4, 0.4, 1, 1])
    }

    @Test func writesAtomicallyAndRoundTripsAsJSON() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("report.html")
        try Data("old".utf8).write(to: url)
        let report = fullReport()
        try report.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == report.html())
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["report.html"])
        #expect(throws: ReportError.self) { try report.write(to: directory.appendingPathComponent("missing/report.html")) }

        let decoded = try JSONDecoder().decode(RunReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }
}

@Suite("Run report: diagnosis")
struct DiagnosisReportTests {
    /// A record with gradient samples for two layers, one activation sample and the given verdicts.
    static func record(_ verdicts: [TrainingVerdict]) -> DiagnosticsRecord {
        var record = DiagnosticsRecord()
        record.layers = ["0.weight", "2.weight"]
        record.gradients = (1...6).map { GradientSample(epoch: 1, step: $0 * 5, gradientNorms: [0.5 / Double($0), 0.2], weightNorms: [3, 2],
                                                        updateRatios: [1e-3, 2e-3]) }
        record.activity = [ActivitySample(epoch: 1, layers: [LayerActivity(name: "1", kind: "ReLU", mean: 0.4, standardDeviation: 0.6,
                                                                           zeroFraction: 0.55, deadFraction: 0.7, saturatedFraction: nil)])]
        record.verdicts = verdicts
        return record
    }

    @Test func verdictsComeFirstWithTheirEvidenceAndTheChartsAreWellFormed() throws {
        var report = RunReport(title: "diagnosed", history: reportHistory(epochs: 3))
        let verdicts = [TrainingVerdict(.vanishingGradients, "gradients vanish on the way back: 0.weight <tiny>", advice: "use ReLU"),
                        TrainingVerdict(.deadUnits, "layer 1 70%")]
        report.diagnostics = Self.record(verdicts)
        report.dataChecks = ReportTable(title: "Data checks", header: ["check", "result"], rows: [["duplicate rows", "3"]], warnings: ["3 duplicate rows"])
        report.learnedTables = [ReportTable(title: "Permutation importance (top 1)", header: ["feature", "drop"], rows: [["1. x", "0.2 ± 0.1"]])]
        let html = report.html()
        // The diagnosis is the first section after the header, each verdict under its title, its advice after it.
        let diagnosis = try #require(html.range(of: "<section id=\"diagnosis\"")), training = try #require(html.range(of: "<section id=\"training\""))
        #expect(diagnosis.lowerBound < training.lowerBound)
        #expect(html.contains("<strong>Vanishing gradients</strong>") && html.contains("0.weight &lt;tiny&gt;") && html.contains("Try: use ReLU."))
        #expect(html.contains("<div class=\"verdict problem\"><strong>Dead ReLUs</strong>"))
        #expect(html.contains("Gradient norm per layer") && html.contains("Update / weight per step") && html.contains("70.0%"))
        #expect(html.contains("<h2>Data checks</h2>") && html.contains("3 duplicate rows") && html.contains("<h3>Permutation importance (top 1)</h3>"))
        for svg in svgElements(html) { #expect(xmlError(svg) == nil) }
        let document = try #require(html.range(of: "<html")).lowerBound
        #expect(xmlError(String(html[document...])) == nil)
        // A healthy run's diagnosis is one green card.
        report.diagnostics = Self.record([TrainingVerdict(.healthy, "no sign of problems")])
        #expect(report.html().contains("<div class=\"verdict good\"><strong>No problems found</strong>"))
        // Without diagnostics there is no diagnosis.
        report.diagnostics = nil
        #expect(!report.html().contains("id=\"diagnosis\""))
    }
}
