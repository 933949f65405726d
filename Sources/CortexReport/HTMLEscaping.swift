// Escaping of user text (titles, class names, summary values) for the report's HTML and inline SVG,
// and the small text and number helpers its markup is written with.
import Cortex
import Foundation

extension String {
    /// The text made safe for HTML and XML alike, in element content and in quoted attributes.
    ///
    /// Only the five XML entities are used, because the same string goes into inline SVG, where
    /// HTML's named entities (`&nbsp;`…) are not defined. Control characters that XML 1.0 forbids
    /// become U+FFFD: one stray byte in a class name must not make the whole SVG unparseable.
    var htmlEscaped: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The text cut to at most `limit` characters, ending in "…" when it was cut, so long class
    /// names do not push axis labels off the chart. The full name stays available as a tooltip.
    func truncated(to limit: Int) -> String {
        guard count > limit, limit > 1 else { return self }
        return String(prefix(limit - 1)) + "…"
    }
}

/// A rough width in pixels of `text` set in a sans-serif face at `fontSize`. SVG text cannot be
/// measured without a browser, so layout reserves room for about 0.6 em per character, which
/// covers typical Latin text (capitals and digits run ~0.6 em, lowercase less).
func estimatedTextWidth(_ text: String, fontSize: Double) -> Double {
    Double(text.count) * fontSize * 0.6
}

/// A coordinate for SVG markup: one decimal is far below a pixel and keeps the file small.
func svgNumber(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let rounded = (value * 10).rounded() / 10
    if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int(rounded)) }
    return String(format: "%.1f", rounded)
}
