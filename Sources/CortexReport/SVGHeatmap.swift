// The confusion matrix as an inline-SVG heat map: a cell per (true, predicted) pair with its count,
// class names on both axes.
import Cortex
import Foundation

/// A confusion matrix drawn as a heat map. Rows are true classes, columns predicted classes.
///
/// A cell's colour is its share of the true class's samples (the row), not its raw count: with
/// unbalanced classes raw counts would paint the big classes dark and hide the confusions of
/// the small ones. The share goes through a square root so that a 3% confusion, the kind worth
/// looking at, is visibly tinted rather than indistinguishable from zero.
struct ConfusionHeatmap: Sendable {
    var matrix: [[Int]]
    var classNames: [String]

    static let labelFont = 12.0
    /// Longest class name shown on an axis; the full name is in the cell and label tooltips.
    static let labelLimit = 16
    /// Room the heat map aims for: cells shrink as classes grow, down to a readable minimum.
    static let gridTarget = 440.0

    var rowCount: Int { matrix.count }
    var columnCount: Int { matrix.map(\.count).max() ?? 0 }

    func name(_ index: Int) -> String {
        index < classNames.count && !classNames[index].isEmpty ? classNames[index] : "class \(index)"
    }

    func svg() -> String {
        let n = rowCount, m = columnCount
        let cell = min(max(ConfusionHeatmap.gridTarget / Double(max(n, m, 1)), 16), 46)
        let font = ConfusionHeatmap.labelFont
        let rowNames = (0..<n).map { name($0).truncated(to: ConfusionHeatmap.labelLimit) }
        let columnNames = (0..<m).map { name($0).truncated(to: ConfusionHeatmap.labelLimit) }
        let rowLabelWidth = rowNames.map { estimatedTextWidth($0, fontSize: font) }.max() ?? 0
        let columnLabelWidth = columnNames.map { estimatedTextWidth($0, fontSize: font) }.max() ?? 0
        // Column labels hang down-left at 40°: they need height below the grid and, for the first
        // column, may reach left past the row labels.
        let (cosA, sinA) = (cos(40 * Double.pi / 180), sin(40 * Double.pi / 180))
        let left = max(28 + rowLabelWidth + 10, columnLabelWidth * cosA - cell / 2 + 8)
        let top = 8.0
        let gridW = Double(m) * cell, gridH = Double(n) * cell
        let bottom = 14 + columnLabelWidth * sinA + font + 26
        let width = left + gridW + 12, height = top + gridH + bottom

        let largest = matrix.flatMap { $0 }.map { String($0).count }.max() ?? 1
        // Counts as large as the cell allows, never wider than it; below 7px they are unreadable
        // and left to the tooltips.
        let countFont = min(13, cell * 0.36, (cell - 6) / (Double(largest) * 0.62))

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" class="heatmap" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" \
        width="\(svgNumber(width))" height="\(svgNumber(height))" role="img" aria-label="confusion matrix">

        """
        for (i, row) in matrix.enumerated() {
            let total = row.reduce(0, +)
            for (j, count) in row.enumerated() {
                let share = total > 0 ? min(max(Double(count) / Double(total), 0), 1) : 0
                let colour = ConfusionHeatmap.colour(sqrt(share))
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                let tip = "true \(name(i)), predicted \(name(j)): \(count)"
                    + (total > 0 ? " (" + String(format: "%.1f", share * 100) + "% of \(name(i)))" : "")
                out += "<rect class=\"cell\" x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" width=\"\(svgNumber(cell))\" "
                    + "height=\"\(svgNumber(cell))\" fill=\"\(colour.hex)\"><title>\(tip.htmlEscaped)</title></rect>"
                if countFont >= 7 {
                    let ink = count == 0 ? "#b8bec8" : colour.contrastingText
                    out += "<text class=\"count\" x=\"\(svgNumber(x + cell / 2))\" y=\"\(svgNumber(y + cell / 2 + countFont * 0.35))\" "
                        + "text-anchor=\"middle\" font-size=\"\(svgNumber(countFont))\" fill=\"\(ink)\">\(count)</text>"
                }
            }
            out += "\n"
        }
        // Row labels (true classes), right-aligned against the grid.
        for (i, label) in rowNames.enumerated() {
            out += "<text class=\"label\" x=\"\(svgNumber(left - 8))\" y=\"\(svgNumber(top + (Double(i) + 0.5) * cell + 4))\" "
                + "text-anchor=\"end\"><title>\(name(i).htmlEscaped)</title>\(label.htmlEscaped)</text>"
        }
        out += "\n"
        for (j, label) in columnNames.enumerated() {
            let x = left + (Double(j) + 0.5) * cell, y = top + gridH + 14
            out += "<text class=\"label\" x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" text-anchor=\"end\" "
                + "transform=\"rotate(-40 \(svgNumber(x)) \(svgNumber(y)))\"><title>\(name(j).htmlEscaped)</title>\(label.htmlEscaped)</text>"
        }
        out += "\n"
        let trueX = 12.0, trueY = top + gridH / 2
        out += "<text class=\"axis-title\" x=\"\(svgNumber(trueX))\" y=\"\(svgNumber(trueY))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 \(svgNumber(trueX)) \(svgNumber(trueY)))\">true</text>\n"
        out += "<text class=\"axis-title\" x=\"\(svgNumber(left + gridW / 2))\" y=\"\(svgNumber(height - 8))\" text-anchor=\"middle\">predicted</text>\n"
        out += "</svg>"
        return out
    }

    /// A colour from a sequential blue scale (ColorBrewer "Blues"), `t` from 0 (light) to 1 (dark).
    static func colour(_ t: Double) -> RGB {
        let stops: [RGB] = [RGB(247, 251, 255), RGB(198, 219, 239), RGB(107, 174, 214), RGB(33, 113, 181), RGB(8, 48, 107)]
        let position = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(position), stops.count - 2), f = position - Double(i)
        let a = stops[i], b = stops[i + 1]
        return RGB(a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f)
    }
}

/// A colour with 0–255 channels.
struct RGB: Sendable, Equatable {
    var r: Double, g: Double, b: Double
    init(_ r: Double, _ g: Double, _ b: Double) { (self.r, self.g, self.b) = (r, g, b) }

    var hex: String {
        let c = [r, g, b].map { Int(min(max($0, 0), 255).rounded()) }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }

    /// WCAG relative luminance, 0 (black) to 1 (white): decides whether text on it is dark or light.
    var luminance: Double {
        func linear(_ c: Double) -> Double {
            let s = c / 255
            return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// Dark ink or white, whichever has the higher WCAG contrast ratio against this colour.
    var contrastingText: String {
        let dark = RGB(31, 41, 55)
        let onWhite = 1.05 / (luminance + 0.05), onDark = (luminance + 0.05) / (dark.luminance + 0.05)
        return onWhite > onDark ? "#ffffff" : dark.hex
    }
}
