// A minimal PNG encoder for the report's sample images: 8-bit grayscale or RGB, no compression.
import Foundation

/// Encodes 8-bit images as PNG so a report can embed them as `data:` URLs.
///
/// The zlib stream uses stored (uncompressed) deflate blocks: sample images are small (a 28×28
/// digit is under 1 KB either way), and it keeps the encoder to CRC-32 and Adler-32 with no
/// dependency on a compression library.
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

        // Each scanline starts with its filter type; 0 (None) is right for stored blocks.
        var raw: [UInt8] = []
        raw.reserveCapacity((rowBytes + 1) * height)
        for y in 0..<height {
            raw.append(0)
            raw += samples[(y * rowBytes)..<((y + 1) * rowBytes)]
        }

        var png = signature
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlibStored(raw), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// The image as a `data:image/png;base64,…` URL.
    static func dataURL(width: Int, height: Int, colorType: ColorType = .grayscale, samples: [UInt8]) -> String {
        "data:image/png;base64," + Data(encode(width: width, height: height, colorType: colorType, samples: samples)).base64EncodedString()
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4), at most 65 535 bytes each.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]  // deflate, 32 KB window, no dictionary; 0x7801 is a multiple of 31
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out.append(final)  // BFINAL in bit 0, BTYPE 00 (stored)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        appendUInt32(adler32(data), to: &out)
        return out
    }

    /// CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected), the checksum of every PNG chunk.
    static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// Adler-32, the checksum that ends a zlib stream.
    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        // 5552 is the most bytes that can be summed before the 32-bit sums could overflow.
        var start = 0
        while start < bytes.count {
            let end = min(start + 5552, bytes.count)
            for byte in bytes[start..<end] {
                a += UInt32(byte)
                b += a
            }
            a %= 65_521
            b %= 65_521
            start = end
        }
        return b << 16 | a
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
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
