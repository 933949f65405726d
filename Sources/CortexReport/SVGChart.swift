// Line charts as inline SVG: training curves per epoch and ROC curves, with axes, round ticks,
// gridlines and a legend, and nothing a browser must run.
import Cortex
import Foundation

/// One named line on a chart. Points with a non-finite coordinate are gaps: the line breaks there
/// rather than plunging to an axis, and a point with no neighbour still shows as a dot.
struct ChartSeries: Sendable {
    var name: String
    var color: String
    var points: [(x: Double, y: Double)]
    var dashed = false
    /// Whether the series is drawn in the legend.
    var inLegend = true
}

/// A line chart rendered to an `<svg>` element that scales with its container (viewBox).
struct LineChart: Sendable {
    enum LegendPlacement: Sendable { case top, right }

    /// Unique within the page: it names the chart's clip path.
    var id: String
    var title: String
    var xLabel: String
    var yLabel: String
    var series: [ChartSeries]
    var width = 560.0
    var height = 340.0
    /// Fixed axes (ROC rates run 0…1 whatever the data); nil means fitted to the data.
    var xTicks: AxisTicks?
    var yTicks: AxisTicks?
    /// Epoch axes: a tick step of at least 1.
    var integerX = false
    var legend = LegendPlacement.top
    /// Dots on every point when a series is short enough for them to read as data, not as noise.
    var markerLimit = 40
    /// Equal lengths for both axes (ROC rates); the chart's width then follows from its height.
    var squarePlot = false

    static let fontSize = 12.0

    /// The ticks the axes get: the fixed ones, or round values covering every finite point.
    func axes() -> (x: AxisTicks, y: AxisTicks) {
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = finite.map(\.x), ys = finite.map(\.y)
        let x = xTicks ?? AxisTicks(covering: xs.min() ?? 0, xs.max() ?? 1, targetCount: 7, integerStep: integerX)
        let y = yTicks ?? AxisTicks(covering: ys.min() ?? 0, ys.max() ?? 1, targetCount: 6)
        return (x, y)
    }

    func svg() -> String {
        let (xAxis, yAxis) = axes()
        let font = LineChart.fontSize
        let yLabelWidth = yAxis.values.map { estimatedTextWidth(yAxis.label($0), fontSize: font) }.max() ?? 20
        let legendNames = series.filter(\.inLegend).map { $0.name.truncated(to: 34) }
        let legendWidth = legend == .right ? (legendNames.map { estimatedTextWidth($0, fontSize: font) }.max() ?? 0) + 40 : 0
        let hasTopLegend = legend == .top && !legendNames.isEmpty
        let left = 30 + yLabelWidth + 8, right = 16 + legendWidth
        let top = hasTopLegend ? 56.0 : 34.0, bottom = 48.0
        let plotHeight = max(height - top - bottom, 40)
        let width = squarePlot ? left + plotHeight + right : self.width
        let plot = (x: left, y: top, w: max(width - left - right, 40), h: plotHeight)
        // Room for a dot on the edge of the plot (a value on the last tick) to show whole.
        let clipMargin = 6.0
        func px(_ x: Double) -> Double { plot.x + xAxis.fraction(x) * plot.w }
        func py(_ y: Double) -> Double { plot.y + (1 - yAxis.fraction(y)) * plot.h }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" \
        width="\(svgNumber(width))" height="\(svgNumber(height))" role="img" aria-label="\(title.htmlEscaped)">
        <defs><clipPath id="\(id)-plot"><rect x="\(svgNumber(plot.x - clipMargin))" y="\(svgNumber(plot.y - clipMargin))" \
        width="\(svgNumber(plot.w + 2 * clipMargin))" height="\(svgNumber(plot.h + 2 * clipMargin))"/></clipPath></defs>
        <text x="\(svgNumber(plot.x))" y="20" class="chart-title">\(title.htmlEscaped)</text>

        """
        // Gridlines and tick labels, under the data.
        out += "<g class=\"grid\">"
        for v in xAxis.values {
            out += "<line x1=\"\(svgNumber(px(v)))\" y1=\"\(svgNumber(plot.y))\" x2=\"\(svgNumber(px(v)))\" y2=\"\(svgNumber(plot.y + plot.h))\"/>"
        }
        for v in yAxis.values {
            out += "<line x1=\"\(svgNumber(plot.x))\" y1=\"\(svgNumber(py(v)))\" x2=\"\(svgNumber(plot.x + plot.w))\" y2=\"\(svgNumber(py(v)))\"/>"
        }
        out += "</g>\n<g class=\"tick-labels\">"
        for v in xAxis.values {
            out += "<text x=\"\(svgNumber(px(v)))\" y=\"\(svgNumber(plot.y + plot.h + 17))\" text-anchor=\"middle\">\(xAxis.label(v))</text>"
        }
        for v in yAxis.values {
            out += "<text x=\"\(svgNumber(plot.x - 7))\" y=\"\(svgNumber(py(v) + 4))\" text-anchor=\"end\">\(yAxis.label(v))</text>"
        }
        out += "</g>\n"
        out += "<path class=\"axis\" d=\"M\(svgNumber(plot.x)) \(svgNumber(plot.y))V\(svgNumber(plot.y + plot.h))H\(svgNumber(plot.x + plot.w))\"/>\n"
        out += "<text class=\"axis-title\" x=\"\(svgNumber(plot.x + plot.w / 2))\" y=\"\(svgNumber(plot.y + plot.h + 40))\" text-anchor=\"middle\">\(xLabel.htmlEscaped)</text>\n"
        let yTitleX = 14.0, yTitleY = plot.y + plot.h / 2
        out += "<text class=\"axis-title\" x=\"\(svgNumber(yTitleX))\" y=\"\(svgNumber(yTitleY))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 \(svgNumber(yTitleX)) \(svgNumber(yTitleY)))\">\(yLabel.htmlEscaped)</text>\n"

        // The data, clipped to the plot so a point outside a fixed axis cannot draw over the labels.
        out += "<g clip-path=\"url(#\(id)-plot)\">\n"
        for s in series {
            let dash = s.dashed ? " stroke-dasharray=\"5 4\"" : ""
            let runs = LineChart.finiteRuns(s.points)
            for run in runs where run.count > 1 {
                let d = run.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(svgNumber(px(p.x))) \(svgNumber(py(p.y)))" }.joined()
                out += "<path class=\"line\" d=\"\(d)\" stroke=\"\(s.color)\"\(dash)/>\n"
            }
            let pointCount = runs.reduce(0) { $0 + $1.count }
            for run in runs where pointCount <= markerLimit || run.count == 1 {
                for p in run {
                    out += "<circle cx=\"\(svgNumber(px(p.x)))\" cy=\"\(svgNumber(py(p.y)))\" r=\"\(run.count == 1 ? "4" : "2.5")\" fill=\"\(s.color)\">"
                        + "<title>\(s.name.htmlEscaped): \(xLabel.htmlEscaped) \(LineChart.format(p.x)), \(LineChart.format(p.y))</title></circle>"
                }
            }
        }
        out += "</g>\n"
        out += legendMarkup(names: legendNames, plot: plot)
        out += "</svg>"
        return out
    }

    /// The legend: a row above the plot, or a column to its right for many or long names.
    private func legendMarkup(names: [String], plot: (x: Double, y: Double, w: Double, h: Double)) -> String {
        let entries = zip(series.filter(\.inLegend), names)
        var out = "<g class=\"legend\">"
        var x = legend == .top ? plot.x : plot.x + plot.w + 16
        var y = legend == .top ? 42.0 : plot.y + 8
        for (s, name) in entries {
            let dash = s.dashed ? " stroke-dasharray=\"5 4\"" : ""
            out += "<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(y - 4))\" x2=\"\(svgNumber(x + 18))\" y2=\"\(svgNumber(y - 4))\" "
                + "stroke=\"\(s.color)\" stroke-width=\"2.5\"\(dash)/>"
            out += "<text x=\"\(svgNumber(x + 24))\" y=\"\(svgNumber(y))\"><title>\(s.name.htmlEscaped)</title>\(name.htmlEscaped)</text>"
            if legend == .top {
                x += 24 + estimatedTextWidth(name, fontSize: LineChart.fontSize) + 20
            } else {
                y += 20
            }
        }
        return out + "</g>\n"
    }

    /// The series split at non-finite points into runs that can each be drawn as one line.
    static func finiteRuns(_ points: [(x: Double, y: Double)]) -> [[(x: Double, y: Double)]] {
        var runs: [[(x: Double, y: Double)]] = [], current: [(x: Double, y: Double)] = []
        for p in points {
            if p.x.isFinite && p.y.isFinite {
                current.append(p)
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// A data value for a tooltip: four significant digits.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.4g", value)
    }
}
