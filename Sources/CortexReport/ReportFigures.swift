// Pictures in a report — what a generative model made: reconstructions beside their inputs, grids of
// samples, a 2-D map of the codes coloured by class, interpolations, learned filters — and charts of any
// values a training step reported (a GAN's two losses). Each picture is one PNG (a grid of many small
// images tiled with gaps), embedded as a data URL like the sample predictions.
import Cortex
import Foundation

/// A raster picture: intensities in 0…1, row-major, grayscale or RGB interleaved.
public struct ReportPicture: Sendable, Codable, Equatable {
    public var pixels: [Float]
    public var width: Int, height: Int, channels: Int

    public init(pixels: [Float], width: Int, height: Int, channels: Int = 1) {
        precondition(channels == 1 || channels == 3, "ReportPicture: 1 or 3 channels, got \(channels)")
        precondition(pixels.count == width * height * channels, "ReportPicture: \(pixels.count) values for \(width)×\(height)×\(channels)")
        (self.pixels, self.width, self.height, self.channels) = (pixels, width, height, channels)
    }

    /// `images` (each height × width, one channel, row-major) tiled `columns` to a row with `gap` pixels of
    /// `background` between them: the way reconstructions, samples and filters are shown.
    public static func grid(_ images: [[Float]], width: Int, height: Int, columns: Int, gap: Int = 2, background: Float = 1) -> ReportPicture {
        precondition(columns > 0 && !images.isEmpty, "ReportPicture.grid: needs images and a positive column count")
        let rows = (images.count + columns - 1) / columns
        let totalWidth = columns * width + (columns + 1) * gap, totalHeight = rows * height + (rows + 1) * gap
        var pixels = [Float](repeating: background, count: totalWidth * totalHeight)
        for (index, image) in images.enumerated() {
            let x0 = gap + (index % columns) * (width + gap), y0 = gap + (index / columns) * (height + gap)
            for y in 0..<height {
                for x in 0..<width where y * width + x < image.count {
                    pixels[(y0 + y) * totalWidth + x0 + x] = image[y * width + x]
                }
            }
        }
        return ReportPicture(pixels: pixels, width: totalWidth, height: totalHeight)
    }

    /// A scatter plot of 2-D points, one colour per class (`ReportPicture.palette`), `side` pixels square: the
    /// points scaled to fill it with a margin, each a 3-pixel dot, later points drawn over earlier ones.
    public static func scatter(_ points: [(x: Double, y: Double)], classes: [Int], side: Int = 360) -> ReportPicture {
        precondition(points.count == classes.count, "ReportPicture.scatter: one class per point")
        var pixels = [Float](repeating: 1, count: side * side * 3)
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard let minX = finite.map(\.x).min(), let maxX = finite.map(\.x).max(),
              let minY = finite.map(\.y).min(), let maxY = finite.map(\.y).max() else {
            return ReportPicture(pixels: pixels, width: side, height: side, channels: 3)
        }
        let margin = 8.0, span = Double(side) - 2 * margin
        for (point, label) in zip(points, classes) where point.x.isFinite && point.y.isFinite {
            let px = Int((margin + (point.x - minX) / max(maxX - minX, 1e-12) * span).rounded())
            let py = Int((margin + (1 - (point.y - minY) / max(maxY - minY, 1e-12)) * span).rounded())
            let colour = palette[((label % palette.count) + palette.count) % palette.count]
            for dy in -1...1 {
                for dx in -1...1 {
                    let (x, y) = (px + dx, py + dy)
                    guard x >= 0 && x < side && y >= 0 && y < side else { continue }
                    for c in 0..<3 { pixels[(y * side + x) * 3 + c] = colour[c] }
                }
            }
        }
        return ReportPicture(pixels: pixels, width: side, height: side, channels: 3)
    }

    /// Ten distinguishable colours (Tableau 10), as RGB in 0…1, for classes 0…9 (repeating after).
    public static let palette: [[Float]] = [
        [0x4e, 0x79, 0xa7], [0xf2, 0x8e, 0x2b], [0xe1, 0x57, 0x59], [0x76, 0xb7, 0xb2], [0x59, 0xa1, 0x4f],
        [0xed, 0xc9, 0x48], [0xb0, 0x7a, 0xa1], [0xff, 0x9d, 0xa7], [0x9c, 0x75, 0x5f], [0xba, 0xb0, 0xac],
    ].map { $0.map { Float($0) / 255 } }

    /// The picture as a PNG data URL.
    var pngDataURL: String {
        let bytes = pixels.map { v -> UInt8 in v.isNaN ? 0 : UInt8((min(max(v, 0), 1) * 255).rounded()) }
        return PNGEncoder.dataURL(width: width, height: height, colorType: channels == 3 ? .rgb : .grayscale, samples: bytes)
    }

    /// The picture as PNG file bytes.
    public var pngData: Data {
        let bytes = pixels.map { v -> UInt8 in v.isNaN ? 0 : UInt8((min(max(v, 0), 1) * 255).rounded()) }
        return Data(PNGEncoder.encode(width: width, height: height, colorType: channels == 3 ? .rgb : .grayscale, samples: bytes))
    }
}

/// A picture under a title, with a caption saying how to read it and, for a class map, a legend.
public struct ReportFigure: Sendable, Codable, Equatable {
    public var title: String
    public var caption: String
    public var picture: ReportPicture
    /// Class names for the palette's colours, shown as a legend (empty: none).
    public var legend: [String]
    /// How many screen pixels each picture pixel takes: small tiles are enlarged so their pixels stay visible.
    public var scale: Int

    public init(title: String, caption: String, picture: ReportPicture, legend: [String] = [], scale: Int = 2) {
        (self.title, self.caption, self.picture, self.legend, self.scale) = (title, caption, picture, legend, max(1, scale))
    }
}

/// Values a training step reported ("d_loss", "g_loss", …) drawn per epoch in one chart.
public struct ReportValueChart: Sendable, Codable, Equatable {
    public var title: String
    public var names: [String]
    public init(title: String, names: [String]) { (self.title, self.names) = (title, names) }
}

extension RunReport {
    /// A figure as an inline PNG with its caption and colour legend.
    static func pictureMarkup(_ figure: ReportFigure) -> String {
        let (w, h) = (figure.picture.width * figure.scale, figure.picture.height * figure.scale)
        let legend = figure.legend.enumerated().map { i, name -> String in
            let c = ReportPicture.palette[i % ReportPicture.palette.count].map { Int(($0 * 255).rounded()) }
            return "<span class=\"swatch\" style=\"background: rgb(\(c[0]), \(c[1]), \(c[2]))\"></span>\(name.htmlEscaped)"
        }
        return """
        <figure class="picture">
        <figcaption><strong>\(figure.title.htmlEscaped)</strong> \(figure.caption.htmlEscaped)</figcaption>
        <img src="\(figure.picture.pngDataURL)" width="\(w)" height="\(h)" alt="\(figure.title.htmlEscaped)"/>
        \(legend.isEmpty ? "" : "<p class=\"legend-row\">" + legend.joined(separator: " ") + "</p>")
        </figure>
        """
    }

    func figuresSection() -> String {
        guard let figures, !figures.isEmpty else { return "" }
        let items = figures.map(RunReport.pictureMarkup)
        return """
        <section id="pictures" class="card">
        <h2>Pictures</h2>
        \(items.joined(separator: "\n"))
        </section>
        """
    }

    /// One chart per group of reported values, per epoch, from the history's recorded values.
    func valueChartsSection() -> String {
        guard let valueCharts, !valueCharts.isEmpty else { return "" }
        let epochs = history.epochs
        let colours = ["#2563eb", "#dc2626", "#059669", "#d97706"]
        let charts = valueCharts.enumerated().compactMap { index, chart -> String? in
            let series = chart.names.enumerated().compactMap { i, name -> ChartSeries? in
                let points = epochs.map { (Double($0.epoch), $0.values?[name] ?? .nan) }
                guard points.contains(where: { $0.1.isFinite }) else { return nil }
                return ChartSeries(name: name, color: colours[i % colours.count], points: points)
            }
            guard !series.isEmpty else { return nil }
            return LineChart(id: "values-\(index)", title: chart.title, xLabel: "epoch", yLabel: chart.title, series: series, integerX: true).svg()
        }
        guard !charts.isEmpty else { return "" }
        return """
        <section id="values" class="card">
        <h2>Reported values</h2>
        <p class="note">Means over each epoch's training batches.</p>
        <div class="charts">
        \(charts.map { "<div class=\"chart-box\">\($0)</div>" }.joined(separator: "\n"))
        </div>
        </section>
        """
    }
}
