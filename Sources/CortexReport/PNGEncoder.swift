// A minimal PNG encoder for the report's sample images: 8-bit grayscale or RGB, compressed and
// checksummed by the system zlib that Cortex already links for its gzip and zip readers.
import Cortex
import CZlib
import Foundation

/// Encodes 8-bit images as PNG so a report can embed them as `data:` URLs.
enum PNGEncoder {
    enum ColorType: UInt8, Sendable {
        case grayscale = 0
        case rgb = 2
        var channels: Int { self == .grayscale ? 1 : 3 }
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG file of a row-major image; `samples` holds `width × height × channels` bytes
    /// (channels interleaved for RGB).
    static func encode(width: Int, height: Int, colorType: ColorType = .grayscale, samples: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0, "PNGEncoder: an image needs a positive width and height, got \(width)×\(height)")
        let rowBytes = width * colorType.channels
        precondition(samples.count == rowBytes * height,
                     "PNGEncoder: \(width)×\(height)×\(colorType.channels) image needs \(rowBytes * height) samples, got \(samples.count)")
        var header: [UInt8] = []
        appendUInt32(UInt32(width), to: &header)
        appendUInt32(UInt32(height), to: &header)
        header += [8, colorType.rawValue, 0, 0, 0]  // bit depth, colour type, deflate, adaptive filters, no interlace

        // Each scanline starts with its filter type: 0 (None), which compresses well enough for sample images.
        var raw: [UInt8] = []
        raw.reserveCapacity((rowBytes + 1) * height)
        for y in 0..<height {
            raw.append(0)
            raw += samples[(y * rowBytes)..<((y + 1) * rowBytes)]
        }

        var png = signature
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlibCompressed(raw), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// The image as a `data:image/png;base64,…` URL.
    static func dataURL(width: Int, height: Int, colorType: ColorType = .grayscale, samples: [UInt8]) -> String {
        "data:image/png;base64," + Data(encode(width: width, height: height, colorType: colorType, samples: samples)).base64EncodedString()
    }

    /// A zlib stream (RFC 1950) of `data`, as PNG's IDAT chunk holds it.
    static func zlibCompressed(_ data: [UInt8]) -> [UInt8] {
        var bound = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(bound))
        let status = compress2(&out, &bound, data, uLong(data.count), Z_BEST_COMPRESSION)
        // compressBound is zlib's own guarantee of room, so nothing but a broken zlib can fail here.
        precondition(status == Z_OK, "PNGEncoder: zlib compress2 failed with status \(status)")
        return Array(out[..<Int(bound)])
    }

    /// CRC-32 (ISO 3309), the checksum of every PNG chunk.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        UInt32(CZlib.crc32(0, bytes, uInt(bytes.count)))
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        appendUInt32(UInt32(data.count), to: &png)
        png += typeBytes
        png += data
        appendUInt32(crc32(typeBytes + data), to: &png)
    }

    private static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
