// The grid of sample test images with predicted and true labels; images are embedded as PNG
// data URLs, which are a fraction of the size of one SVG rectangle per pixel.
import Cortex
import Foundation

extension ReportImage {
    /// Longest side the image is shown at, in CSS pixels: small images are enlarged by a whole
    /// factor (pixelated, so the pixels stay sharp), large ones scaled down.
    static let displaySide = 96

    /// The image as a PNG data URL, or nil when it has no pixels to show (a zero or absurd size,
    /// or a channel count other than 1 or 3). Values are clamped to 0…1 and NaN shows as black;
    /// missing pixels are black too, so a short buffer still renders.
    var pngDataURL: String? {
        guard width > 0, height > 0, width <= 8192, height <= 8192, channels == 1 || channels == 3 else { return nil }
        let count = width * height * channels
        var bytes = [UInt8](repeating: 0, count: count)
        for i in 0..<min(count, pixels.count) {
            let v = pixels[i]
            bytes[i] = v.isNaN ? 0 : UInt8((min(max(v, 0), 1) * 255).rounded())
        }
        return PNGEncoder.dataURL(width: width, height: height, colorType: channels == 3 ? .rgb : .grayscale, samples: bytes)
    }

    /// The displayed size: a whole multiple of the image's size when it is enlarged.
    var displaySize: (width: Int, height: Int) {
        let side = max(width, height, 1)
        if side <= ReportImage.displaySide {
            let factor = max(ReportImage.displaySide / side, 1)
            return (width * factor, height * factor)
        }
        let scale = Double(ReportImage.displaySide) / Double(side)
        return (max(Int(Double(width) * scale), 1), max(Int(Double(height) * scale), 1))
    }
}

extension RunReport {
    /// The images in a wrapping grid, each with "pred: X" and "true: Y" under it; wrong ones get
    /// a red outline and red prediction so they can be found at a glance.
    func sampleGrid(_ images: [ReportImage]) -> String {
        var out = "<div class=\"samples\">\n"
        for image in images {
            let status = image.isCorrect ? "right" : "wrong"
            let size = image.displaySize
            let picture: String
            if let url = image.pngDataURL {
                let smooth = size.width < image.width ? " smooth" : ""
                picture = "<img class=\"sample-image\(smooth)\" src=\"\(url)\" width=\"\(size.width)\" height=\"\(size.height)\" "
                    + "alt=\"predicted \(image.predicted.htmlEscaped), true \(image.actual.htmlEscaped)\"/>"
            } else {
                picture = "<div class=\"sample-image missing\">no image</div>"
            }
            out += """
            <figure class="sample \(status)">\(picture)<figcaption>\
            <span class="pred" title="\(image.predicted.htmlEscaped)">pred: \(image.predicted.truncated(to: 18).htmlEscaped)</span>\
            <span class="true" title="\(image.actual.htmlEscaped)">true: \(image.actual.truncated(to: 18).htmlEscaped)</span>\
            </figcaption></figure>

            """
        }
        return out + "</div>"
    }
}
