// The report's diagnosis of a run — the verdicts first, in plain words — then the evidence: each layer's
// gradient norm and update-to-weight ratio over training, and what the activation layers did with a probe
// batch. Also the data checks made before training, and the "What the model learned" section.
import Cortex
import Foundation

/// A titled table with a caption: data checks, feature importances.
public struct ReportTable: Sendable, Codable, Equatable {
    public var title: String
    public var caption: String
    public var header: [String]
    public var rows: [[String]]
    /// Lines a reader should act on, shown as warnings above the table.
    public var warnings: [String]

    public init(title: String, caption: String = "", header: [String], rows: [[String]], warnings: [String] = []) {
        (self.title, self.caption, self.header, self.rows, self.warnings) = (title, caption, header, rows, warnings)
    }

    /// The table as HTML: a column of numbers right-aligned, any other left.
    var markup: String {
        func isNumber(_ s: String) -> Bool { s == "–" || Double(s.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "±", with: "")
            .split(separator: " ").first.map(String.init) ?? "") != nil }
        let numeric = header.indices.map { column in rows.allSatisfy { column >= $0.count || isNumber($0[column]) } }
        var out = "<table class=\"scores\"><thead><tr>" + header.enumerated().map { i, name in
            "<th\(i > 0 && !numeric[i] ? " style=\"text-align: left\"" : "")>\(name.htmlEscaped)</th>"
        }.joined() + "</tr></thead><tbody>\n"
        for row in rows {
            out += "<tr>" + row.enumerated().map { i, cell in
                i == 0 ? "<th>\(cell.htmlEscaped)</th>" : "<td\(i < numeric.count && numeric[i] ? " class=\"num\"" : "")>\(cell.htmlEscaped)</td>"
            }.joined() + "</tr>\n"
        }
        return out + "</tbody></table>"
    }
}

extension RunReport {
    /// Verdicts as cards: problems in red with their advice, "still improving" in blue, "healthy" in green.
    func diagnosisSection() -> String {
        guard let verdicts = diagnostics?.verdicts, !verdicts.isEmpty else { return "" }
        let items = verdicts.map { v -> String in
            let tone = v.isProblem ? "problem" : (v.kind == .stillImproving ? "info" : "good")
            let advice = v.advice.isEmpty ? "" : "<p class=\"advice\">Try: \(v.advice.htmlEscaped).</p>"
            return "<div class=\"verdict \(tone)\"><strong>\(v.title.htmlEscaped)</strong><p>\(v.message.htmlEscaped)</p>\(advice)</div>"
        }
        return """
        <section id="diagnosis" class="card">
        <h2>Diagnosis</h2>
        \(items.joined(separator: "\n"))
        </section>
        """
    }

    /// Gradient norms and update ratios per weight tensor over the optimiser steps (log scale, as they span
    /// decades), and the activation table of the last probe.
    func diagnosticsSection() -> String {
        guard let record = diagnostics, !record.gradients.isEmpty || !record.activity.isEmpty else { return "" }
        var charts: [String] = []
        if !record.gradients.isEmpty {
            let steps = record.gradients.map { Double($0.step) }
            func chart(_ id: String, _ title: String, _ label: String, _ values: (GradientSample) -> [Double]) -> String {
                let series = record.layers.enumerated().map { i, name in
                    ChartSeries(name: name, color: RunReport.palette[i % RunReport.palette.count],
                                points: zip(steps, record.gradients).map { step, sample in
                                    let v = values(sample)[i]
                                    return (step, v > 0 ? log10(v) : .nan)
                                })
                }
                return LineChart(id: id, title: title, xLabel: "optimiser step", yLabel: label, series: series,
                                 integerX: true, legend: .right).svg()
            }
            charts.append(chart("gradient-norms", "Gradient norm per layer", "log₁₀ ‖gradient‖", \.gradientNorms))
            charts.append(chart("update-ratios", "Update / weight per step", "log₁₀ ‖update‖ / ‖weight‖", \.updateRatios))
        }
        var table = ""
        if let last = record.activity.last, !last.layers.isEmpty {
            func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", 100 * $0) } ?? "–" }
            let rows = last.layers.map { layer in
                [layer.name, layer.kind, String(format: "%.3f", layer.mean), String(format: "%.3f", layer.standardDeviation),
                 percent(layer.zeroFraction), percent(layer.deadFraction), percent(layer.saturatedFraction)]
            }
            table = ReportTable(title: "", header: ["layer", "kind", "mean", "std", "zero", "dead units", "saturated"], rows: rows).markup
            table = "<h3>Activations after epoch \(last.epoch) (probe batch)</h3>\n" + table
        }
        let origin = record.nonFinite.map { "<p class=\"note\">NaN origin: \($0.description.htmlEscaped).</p>" } ?? ""
        return """
        <section id="diagnostics" class="card">
        <h2>Gradients and activations</h2>
        <p class="note">Each weight tensor's gradient and the size of each update relative to the weights, sampled during training; about 10⁻³ per step is typical of healthy training, far below means the layer barely learns, far above means it thrashes.</p>
        \(origin)
        <div class="charts">
        \(charts.map { "<figure class=\"chart-box\">\($0)</figure>" }.joined(separator: "\n"))
        </div>
        \(table)
        </section>
        """
    }

    func dataChecksSection() -> String {
        guard let checks = dataChecks else { return "" }
        let warnings = checks.warnings.map { "<div class=\"verdict problem\"><p>\($0.htmlEscaped)</p></div>" }.joined(separator: "\n")
        return """
        <section id="data-checks" class="card">
        <h2>\(checks.title.htmlEscaped)</h2>
        \(checks.caption.isEmpty ? "" : "<p class=\"note\">\(checks.caption.htmlEscaped)</p>")
        \(warnings)
        \(checks.markup)
        </section>
        """
    }

    /// What the model learned: pictures (filters, feature maps, attributions, embedding maps) and tables
    /// (feature importances).
    func learnedSection() -> String {
        let figures = learned ?? [], tables = learnedTables ?? []
        guard !figures.isEmpty || !tables.isEmpty else { return "" }
        let tableMarkup = tables.map { t in
            "<h3>\(t.title.htmlEscaped)</h3>\n" + (t.caption.isEmpty ? "" : "<p class=\"note\">\(t.caption.htmlEscaped)</p>\n") + t.markup
        }
        return """
        <section id="learned" class="card">
        <h2>What the model learned</h2>
        \(tableMarkup.joined(separator: "\n"))
        \(figures.map(RunReport.pictureMarkup).joined(separator: "\n"))
        </section>
        """
    }
}
