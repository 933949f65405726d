// Attribution maps as pictures: the input in gray with the map laid over it — red where the pixel pushed the
// explained output up, blue where it pushed it down — and pictures of any kind tiled into one.
import Foundation

extension ReportPicture {
    /// `image` (height × width, 0…1) dimmed to gray with `map` (same size) over it: red for positive values, blue for
    /// negative, opacity growing with |value| up to the map's 99th percentile of |value| (so one extreme pixel does
    /// not wash out the rest).
    public static func overlay(image: [Float], map: [Float], width: Int, height: Int) -> ReportPicture {
        precondition(image.count == width * height && map.count == width * height, "ReportPicture.overlay: image and map must be \(width)×\(height)")
        let magnitudes = map.map { abs($0) }.filter(\.isFinite).sorted()
        let scale = max(magnitudes.isEmpty ? 0 : magnitudes[min(magnitudes.count - 1, Int(Double(magnitudes.count) * 0.99))], 1e-12)
        var pixels = [Float](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            let gray = 0.15 + 0.6 * min(max(image[i], 0), 1)
            let v = map[i].isFinite ? map[i] : 0
            let alpha = min(abs(v) / scale, 1)
            let colour: [Float] = v >= 0 ? [0.86, 0.15, 0.15] : [0.15, 0.39, 0.92]
            for c in 0..<3 { pixels[i * 3 + c] = gray * (1 - alpha) + colour[c] * alpha }
        }
        return ReportPicture(pixels: pixels, width: width, height: height, channels: 3)
    }

    /// A grayscale tile (height × width) stretched so its smallest value is black and its largest white: how filters
    /// and feature maps are shown.
    public static func normalised(_ values: [Float], width: Int, height: Int) -> ReportPicture {
        let finite = values.filter(\.isFinite)
        let (low, high) = (finite.min() ?? 0, finite.max() ?? 1)
        let span = high - low
        return ReportPicture(pixels: values.map { span > 0 && $0.isFinite ? ($0 - low) / span : 0.5 }, width: width, height: height)
    }

    /// Pictures of the same size tiled `columns` to a row with `gap` white pixels between them (gray tiles are drawn
    /// as RGB when any tile is in colour).
    public static func tiled(_ pictures: [ReportPicture], columns: Int, gap: Int = 2) -> ReportPicture {
        precondition(!pictures.isEmpty && columns > 0, "ReportPicture.tiled: needs pictures and a positive column count")
        let (w, h) = (pictures[0].width, pictures[0].height)
        precondition(pictures.allSatisfy { $0.width == w && $0.height == h }, "ReportPicture.tiled: every tile must be \(w)×\(h)")
        let channels = pictures.contains { $0.channels == 3 } ? 3 : 1
        let rows = (pictures.count + columns - 1) / columns
        let totalWidth = columns * w + (columns + 1) * gap, totalHeight = rows * h + (rows + 1) * gap
        var pixels = [Float](repeating: 1, count: totalWidth * totalHeight * channels)
        for (index, tile) in pictures.enumerated() {
            let x0 = gap + (index % columns) * (w + gap), y0 = gap + (index / columns) * (h + gap)
            for y in 0..<h {
                for x in 0..<w {
                    for c in 0..<channels {
                        pixels[((y0 + y) * totalWidth + x0 + x) * channels + c] = tile.pixels[(y * w + x) * tile.channels + (tile.channels == 3 ? c : 0)]
                    }
                }
            }
        }
        return ReportPicture(pixels: pixels, width: totalWidth, height: totalHeight, channels: channels)
    }
}
