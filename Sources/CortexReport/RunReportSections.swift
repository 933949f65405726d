// The report's sections, each an HTML fragment, empty when the report has no data for it.
import Cortex
import Foundation

extension RunReport {
    /// Colours of train and validation lines: a blue and an orange that stay apart for the
    /// colour-blind and in grayscale print.
    static let trainColour = "#2563eb", validationColour = "#ea580c"
    /// Tableau 10: distinct hues for up to ten ROC curves, then repeated.
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                          "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    /// The metric as a chart title: short names are acronyms ("mae" reads "MAE"), longer ones words
    /// ("accuracy" reads "Accuracy").
    /// Metrics where a larger value is the better one; every other metric is an error of some kind.
    static let higherIsBetter: Set<String> = ["accuracy", "pseudo_likelihood"]

    var metricTitle: String {
        let name = history.metricName
        return name.count <= 4 ? name.uppercased() : name.prefix(1).uppercased() + name.dropFirst()
    }

    func headerSection() -> String { RunReport.headerMarkup(kicker: "Cortex run report", title: title, summary: summary) }

    /// The page's header card: kicker, title and the headline figures as tiles (a run report's and an
    /// application report's alike).
    static func headerMarkup(kicker: String, title: String, summary: [ReportItem]) -> String {
        var out = "<header class=\"card\">\n<p class=\"kicker\">\(kicker.htmlEscaped)</p>\n<h1>\(title.htmlEscaped)</h1>\n"
        if !summary.isEmpty {
            out += "<table class=\"summary\"><tbody>\n"
            for item in summary {
                // A long value gets two cells' width instead of wrapping onto three lines.
                let wide = item.value.count > 16 ? " class=\"wide\"" : ""
                out += "<tr\(wide)><th scope=\"row\">\(item.label.htmlEscaped)</th><td>\(item.value.htmlEscaped)</td></tr>\n"
            }
            out += "</tbody></table>\n"
        }
        return out + "</header>"
    }

    func trainingSection() -> String {
        let epochs = history.epochs
        guard !epochs.isEmpty else { return "" }
        let x = epochs.map { Double($0.epoch) }
        func series(_ name: String, _ colour: String, _ values: [Double?]) -> ChartSeries? {
            // A validation column that is missing everywhere gets no line and no legend entry.
            guard values.contains(where: { $0?.isFinite == true }) else { return nil }
            return ChartSeries(name: name, color: colour, points: zip(x, values).map { ($0, $1 ?? .nan) })
        }
        let loss = LineChart(id: "loss", title: "Loss", xLabel: "epoch", yLabel: "loss",
                             series: [series("train", RunReport.trainColour, epochs.map(\.trainLoss)),
                                      series("validation", RunReport.validationColour, epochs.map(\.validationLoss))].compactMap { $0 },
                             integerX: true)
        let metric = LineChart(id: "metric", title: metricTitle, xLabel: "epoch", yLabel: history.metricName,
                               series: [series("train", RunReport.trainColour, epochs.map(\.trainMetric)),
                                        series("validation", RunReport.validationColour, epochs.map(\.validationMetric))].compactMap { $0 },
                               integerX: true)
        // A training step that reports no metric (a GAN's) gets the loss chart alone.
        var charts = history.metricName.isEmpty ? [loss.svg()] : [loss.svg(), metric.svg()]
        // The learning rate earns a chart only when a schedule changed it.
        let rates = epochs.map(\.learningRate).filter(\.isFinite)
        if let first = rates.first, rates.contains(where: { $0 != first }) {
            let lr = LineChart(id: "lr", title: "Learning rate", xLabel: "epoch", yLabel: "learning rate",
                               series: [ChartSeries(name: "learning rate", color: "#6b7280", points: zip(x, epochs.map(\.learningRate)).map { ($0, $1) },
                                                    inLegend: false)],
                               height: 240, integerX: true)
            charts.append(lr.svg())
        }
        return """
        <section id="training" class="card">
        <h2>Training</h2>
        <p class="note">\(trainingNote().htmlEscaped)</p>
        <div class="charts">
        \(charts.map { "<figure class=\"chart-box\">\($0)</figure>" }.joined(separator: "\n"))
        </div>
        </section>
        """
    }

    /// One sentence on how training ended and where validation was best.
    func trainingNote() -> String {
        let epochs = history.epochs
        guard let last = epochs.last else { return "" }
        let lowerIsBetter = !RunReport.higherIsBetter.contains(history.metricName.lowercased())
        var parts = ["\(epochs.count) epoch\(epochs.count == 1 ? "" : "s")"]
        let seconds = epochs.map(\.seconds).filter(\.isFinite).reduce(0, +)
        if seconds > 0 { parts[0] += " in " + RunReport.duration(seconds) }
        guard !history.metricName.isEmpty else {
            parts.append("final train loss \(RunReport.number(last.trainLoss))")
            return parts.joined(separator: "; ") + "."
        }
        parts.append("final train loss \(RunReport.number(last.trainLoss)), \(history.metricName) \(RunReport.number(last.trainMetric))")
        let validated = epochs.compactMap { e in e.validationMetric.flatMap { $0.isFinite ? (e.epoch, $0) : nil } }
        if let best = validated.min(by: { lowerIsBetter ? $0.1 < $1.1 : $0.1 > $1.1 }) {
            parts.append("best validation \(history.metricName) \(RunReport.number(best.1)) at epoch \(best.0)")
        }
        return parts.joined(separator: "; ") + "."
    }

    func confusionSection() -> String {
        guard let matrix = confusionMatrix, !matrix.isEmpty, matrix.contains(where: { !$0.isEmpty }) else { return "" }
        let total = matrix.flatMap { $0 }.reduce(0, +)
        let correct = matrix.indices.reduce(0) { $0 + ($1 < matrix[$1].count ? matrix[$1][$1] : 0) }
        let accuracy = total > 0 ? " — " + String(format: "%.1f%%", Double(correct) / Double(total) * 100) + " on the diagonal" : ""
        return """
        <section id="confusion-matrix" class="card">
        <h2>Confusion matrix</h2>
        <p class="note">\(total) test samples\(accuracy). Rows are true classes, columns predicted ones; \
        shading is each cell's share of its row.</p>
        <figure class="heatmap-box">\(ConfusionHeatmap(matrix: matrix, classNames: classNames).svg())</figure>
        </section>
        """
    }

    func perClassSection() -> String {
        guard let scores = perClass, !scores.isEmpty else { return "" }
        func cell(_ v: Double) -> String {
            v.isFinite ? "<td class=\"num\">\(String(format: "%.3f", v))</td>" : "<td class=\"num missing\">–</td>"
        }
        var rows = scores.map { s in
            "<tr><th scope=\"row\">\(s.name.htmlEscaped)</th>\(cell(s.precision))\(cell(s.recall))\(cell(s.f1))<td class=\"num\">\(s.support)</td></tr>"
        }
        // The averages scikit-learn's classification_report prints, over the classes with a score.
        func average(_ key: KeyPath<ReportClassScores, Double>, weighted: Bool) -> Double {
            let valid = scores.filter { $0[keyPath: key].isFinite }
            let weights = valid.map { weighted ? Double(max($0.support, 0)) : 1 }
            let sum = weights.reduce(0, +)
            return sum > 0 ? zip(valid, weights).reduce(0) { $0 + $1.0[keyPath: key] * $1.1 } / sum : .nan
        }
        let support = scores.reduce(0) { $0 + $1.support }
        for (label, weighted) in [("macro average", false), ("weighted average", true)] {
            rows.append("<tr class=\"average\"><th scope=\"row\">\(label)</th>\(cell(average(\.precision, weighted: weighted)))"
                + "\(cell(average(\.recall, weighted: weighted)))\(cell(average(\.f1, weighted: weighted)))<td class=\"num\">\(support)</td></tr>")
        }
        // The class to look at first, named so nobody has to scan the column for it.
        let weakest = scores.filter { $0.f1.isFinite }.min { $0.f1 < $1.f1 }
        let note = weakest.map { "<p class=\"note\">Weakest class by F1: \($0.name.htmlEscaped) (\(String(format: "%.3f", $0.f1))).</p>\n" } ?? ""
        return """
        <section id="per-class" class="card">
        <h2>Per-class scores</h2>
        \(note)\
        <table class="scores">
        <thead><tr><th scope="col">class</th><th scope="col">precision</th><th scope="col">recall</th><th scope="col">F1</th><th scope="col">support</th></tr></thead>
        <tbody>
        \(rows.joined(separator: "\n"))
        </tbody>
        </table>
        </section>
        """
    }

    func rocSection() -> String {
        let curves = rocCurves.filter { !LineChart.finiteRuns(Array(zip($0.fpr, $0.tpr)).map { ($0, $1) }).isEmpty }
        guard !curves.isEmpty else { return "" }
        var series = [ChartSeries(name: "chance", color: "#9ca3af", points: [(0, 0), (1, 1)], dashed: true, inLegend: false)]
        for (i, c) in curves.enumerated() {
            let auc = c.auc.isFinite ? String(format: "%.3f", c.auc) : "n/a"
            series.append(ChartSeries(name: "\(c.name.truncated(to: 20)) (AUC \(auc))", color: RunReport.palette[i % RunReport.palette.count],
                                      points: RunReport.corners(Array(zip(c.fpr, c.tpr)).map { ($0, $1) })))
        }
        let rateTicks = AxisTicks(lower: 0, upper: 1, step: 0.2)
        // A square plot: equal scales on both rates, as ROC curves are meant to be read.
        let chart = LineChart(id: "roc", title: "One-vs-rest ROC", xLabel: "false positive rate", yLabel: "true positive rate",
                              series: series, height: 470, xTicks: rateTicks, yTicks: rateTicks, legend: .right,
                              markerLimit: 0, squarePlot: true)
        let aucs = curves.map(\.auc).filter(\.isFinite)
        let mean = aucs.isEmpty ? "" : " Mean AUC " + String(format: "%.3f", aucs.reduce(0, +) / Double(aucs.count)) + "."
        return """
        <section id="roc" class="card">
        <h2>ROC curves</h2>
        <p class="note">Each class against all others; the dashed diagonal is a classifier that guesses.\(mean)</p>
        <figure class="chart-box">\(chart.svg())</figure>
        </section>
        """
    }

    func textsSection() -> String {
        guard let texts, !texts.isEmpty else { return "" }
        let items = texts.map { "<figure><figcaption>\($0.caption.htmlEscaped)</figcaption><pre>\($0.text.htmlEscaped)</pre></figure>" }
        return """
        <section id="texts" class="card">
        <h2>Generated text</h2>
        \(items.joined(separator: "\n"))
        </section>
        """
    }

    func samplesSection() -> String {
        guard !samples.isEmpty else { return "" }
        let wrong = samples.filter { !$0.isCorrect }.count
        return """
        <section id="samples" class="card">
        <h2>Sample predictions</h2>
        <p class="note">\(samples.count - wrong) of \(samples.count) correct; wrong predictions are outlined in red.</p>
        \(sampleGrid(samples))
        </section>
        """
    }

    /// The points where a stepped ROC curve turns: points in the middle of a horizontal or vertical
    /// run add nothing to the drawing, and curves from large test sets have thousands of them.
    static func corners(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        guard points.count > 2 else { return points }
        var kept = [points[0]]
        for i in 1..<(points.count - 1) {
            let a = kept[kept.count - 1], p = points[i], b = points[i + 1]
            let straight = (a.x == p.x && p.x == b.x) || (a.y == p.y && p.y == b.y)
            if !straight { kept.append(p) }
        }
        kept.append(points[points.count - 1])
        return kept
    }

    /// A value for prose: four significant digits, or a readable word when there is none.
    static func number(_ v: Double) -> String {
        v.isFinite ? String(format: "%.4g", v) : "n/a"
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(total / 60) min \(total % 60) s" }
        return "\(total / 3600) h \(total % 3600 / 60) min"
    }
}
