// A report page built from parts: a header with the headline figures, then sections of tables, line charts,
// confusion matrices, pictures and notes. The applications (`cortex app run`) describe their results with it;
// it draws with the same charts, heat maps and style sheet as the run report.
import Cortex
import Foundation

public struct ApplicationReport: Sendable {
    /// One line of a chart: points joined in order; a non-finite point is a gap.
    public struct Series: Sendable {
        public var name: String
        public var xs: [Double], ys: [Double]
        public var dashed: Bool
        public init(_ name: String, xs: [Double], ys: [Double], dashed: Bool = false) {
            precondition(xs.count == ys.count, "ApplicationReport.Series: \(xs.count) x values but \(ys.count) y values")
            (self.name, self.xs, self.ys, self.dashed) = (name, xs, ys, dashed)
        }
    }

    public struct Chart: Sendable {
        public var title: String, xLabel: String, yLabel: String
        public var series: [Series]
        /// Both axes 0…1 and equal in length (ROC, precision–recall, calibration curves).
        public var unitSquare: Bool
        /// The chance or ideal line drawn dashed and grey under the series, as (x, y) pairs.
        public var reference: [(Double, Double)]
        public init(title: String, xLabel: String, yLabel: String, series: [Series], unitSquare: Bool = false,
                    reference: [(Double, Double)] = []) {
            (self.title, self.xLabel, self.yLabel, self.series) = (title, xLabel, yLabel, series)
            (self.unitSquare, self.reference) = (unitSquare, reference)
        }
    }

    public enum Block: Sendable {
        case paragraph(String)
        /// A table: the header row, then rows whose first cell names the row.
        case table(header: [String], rows: [[String]])
        case chart(Chart)
        /// Counts with rows as true classes and columns as predicted ones.
        case confusion(matrix: [[Int]], classNames: [String])
        case figure(ReportFigure)
    }

    public struct Section: Sendable {
        public var title: String, note: String
        public var blocks: [Block]
        public init(_ title: String, note: String = "", _ blocks: [Block]) { (self.title, self.note, self.blocks) = (title, note, blocks) }
    }

    public var title: String
    /// The small line over the title ("Cortex application · fraud").
    public var kicker: String
    public var summary: [ReportItem]
    public var sections: [Section]

    public init(title: String, kicker: String, summary: [ReportItem] = [], sections: [Section] = []) {
        (self.title, self.kicker, self.summary, self.sections) = (title, kicker, summary, sections)
    }

    public func html() -> String {
        let header = RunReport.headerMarkup(kicker: kicker, title: title, summary: summary)
        var chartCount = 0
        let body = sections.enumerated().map { index, section -> String in
            var parts: [String] = []
            var charts: [String] = []
            func flushCharts() {
                if !charts.isEmpty { parts.append("<div class=\"charts\">\n" + charts.joined(separator: "\n") + "\n</div>"); charts = [] }
            }
            for block in section.blocks {
                if case .chart(let chart) = block {
                    chartCount += 1
                    charts.append("<figure class=\"chart-box\">\(lineChart(chart, id: "chart\(chartCount)").svg())</figure>")
                    continue
                }
                flushCharts()
                switch block {
                case .paragraph(let text): parts.append("<p>\(text.htmlEscaped)</p>")
                case .table(let header, let rows): parts.append(table(header: header, rows: rows))
                case .confusion(let matrix, let names):
                    parts.append("<figure class=\"heatmap-box\">\(ConfusionHeatmap(matrix: matrix, classNames: names).svg())</figure>")
                case .figure(let figure): parts.append(RunReport.pictureMarkup(figure))
                case .chart: break
                }
            }
            flushCharts()
            let note = section.note.isEmpty ? "" : "<p class=\"note\">\(section.note.htmlEscaped)</p>\n"
            return "<section id=\"section\(index + 1)\" class=\"card\">\n<h2>\(section.title.htmlEscaped)</h2>\n\(note)\(parts.joined(separator: "\n"))\n</section>"
        }
        return htmlDocument(title: "\(title) · Cortex", body: ([header] + body).joined(separator: "\n"))
    }

    /// Writes the page atomically (a temporary file renamed into place), creating its folder.
    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try writeReportAtomically(html(), to: url)
    }

    private func table(header: [String], rows: [[String]]) -> String {
        let head = header.enumerated().map { "<th scope=\"col\"\($0.offset == 0 ? "" : " class=\"num\"")>\($0.element.htmlEscaped)</th>" }
        let body = rows.map { row in
            "<tr>" + row.enumerated().map { i, cell in
                i == 0 ? "<th scope=\"row\">\(cell.htmlEscaped)</th>" : "<td class=\"num\">\(cell.htmlEscaped)</td>"
            }.joined() + "</tr>"
        }
        return "<table class=\"scores\">\n<thead><tr>\(head.joined())</tr></thead>\n<tbody>\n\(body.joined(separator: "\n"))\n</tbody>\n</table>"
    }

    private func lineChart(_ chart: Chart, id: String) -> LineChart {
        var series: [ChartSeries] = []
        if !chart.reference.isEmpty {
            series.append(ChartSeries(name: "reference", color: "#9ca3af", points: chart.reference.map { (x: $0.0, y: $0.1) }, dashed: true, inLegend: false))
        }
        for (i, s) in chart.series.enumerated() {
            series.append(ChartSeries(name: s.name, color: RunReport.palette[i % RunReport.palette.count],
                                      points: zip(s.xs, s.ys).map { (x: $0, y: $1) }, dashed: s.dashed))
        }
        let unit = AxisTicks(lower: 0, upper: 1, step: 0.2)
        guard chart.unitSquare else {
            // More than three names do not fit in a row above a half-width chart: they go beside it.
            return LineChart(id: id, title: chart.title, xLabel: chart.xLabel, yLabel: chart.yLabel, series: series,
                             legend: chart.series.count > 3 ? .right : .top)
        }
        // Square plots are narrow: the legend goes beside them, so the chart is about as wide as the others and
        // is not scaled up to fill its box. Curves of hundreds of thresholds get no dots.
        return LineChart(id: id, title: chart.title, xLabel: chart.xLabel, yLabel: chart.yLabel, series: series, height: 400,
                         xTicks: unit, yTicks: unit, legend: .right, markerLimit: 20, squarePlot: true)
    }
}
