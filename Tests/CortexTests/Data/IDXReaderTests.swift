// Tests for the IDX reader and IDXDataset: every element type, plain and gzip files told apart by their
// bytes, one test per kind of malformed file, and the real Fashion-MNIST when Debian's package is installed.
import Foundation
import Testing
import Cortex

/// An IDX file: magic 00 00 type rank, big-endian sizes, then `payload` verbatim.
private func idx(type: UInt8, shape: [Int], payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for dim in shape { bytes += withUnsafeBytes(of: UInt32(dim).bigEndian) { Array($0) } }
    return bytes + payload
}

private func bigEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bigEndian) { Array($0) } }
}

/// gzip of idx(type: 0x08, shape: [2, 3], payload: [1, 2, 3, 250, 254, 255]), made by Python's gzip (mtime 0).
private let embeddedGzip: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x63, 0x60, 0xe0, 0x60, 0x62, 0x60, 0x60, 0x00,
    0x61, 0x66, 0x46, 0x26, 0xe6, 0x5f, 0xff, 0xfe, 0x03, 0x00, 0x5c, 0xb8, 0x4d, 0x69, 0x12, 0x00, 0x00, 0x00,
]

private let fashionDirectory = IDXDataset.fashionMNISTDirectory
private let fashionInstalled = FileManager.default.fileExists(
    atPath: fashionDirectory.appendingPathComponent("train-images-idx3-ubyte.gz").path)

@Suite("IDX reader")
struct IDXReaderTests {
    @Test func readsUnsignedBytesWithTheFileShape() throws {
        try withScratchDirectory { dir in
            let url = try writeFile(idx(type: 0x08, shape: [2, 3], payload: [0, 1, 2, 128, 254, 255]), "a.idx", in: dir)
            let t = try IDX.read(contentsOf: url)
            #expect(t.dtype == .uint8)
            #expect(t.shape == [2, 3])
            #expect(t.integers == [0, 1, 2, 128, 254, 255])
        }
    }

    @Test func mapsEveryElementType() throws {
        let byte = try IDX.read(data: Data(idx(type: 0x09, shape: [3], payload: [0x80, 0xFF, 0x7F])))
        #expect(byte.dtype == .int32 && byte.integers == [-128, -1, 127])
        let short = try IDX.read(data: Data(idx(type: 0x0B, shape: [3], payload: bigEndian([Int16.min, -2, 300]))))
        #expect(short.dtype == .int32 && short.integers == [-32768, -2, 300])
        let int = try IDX.read(data: Data(idx(type: 0x0C, shape: [1, 2], payload: bigEndian([Int32.min, 70_000]))))
        #expect(int.dtype == .int32 && int.shape == [1, 2] && int.integers == [-2_147_483_648, 70_000])
        let float = try IDX.read(data: Data(idx(type: 0x0D, shape: [2], payload: bigEndian([Float(1.5).bitPattern, Float(-0.25).bitPattern]))))
        #expect(float.dtype == .float32 && float.scalars == [1.5, -0.25])
        let double = try IDX.read(data: Data(idx(type: 0x0E, shape: [2], payload: bigEndian([(1.0 / 3).bitPattern, (-2e10).bitPattern]))))
        #expect(double.dtype == .float32 && double.scalars == [Float(1.0 / 3), -2e10])
        let empty = try IDX.read(data: Data(idx(type: 0x08, shape: [0, 28, 28], payload: [])))
        #expect(empty.shape == [0, 28, 28] && empty.count == 0)
    }

    @Test func detectsGzipByMagicBytesNotByName() throws {
        let plain = idx(type: 0x0C, shape: [2, 2], payload: bigEndian([Int32(1), 2, 3, -4]))
        try withScratchDirectory { dir in
            let compressed = try writeFile(gzipped(plain), "looks-plain.idx", in: dir)
            let misnamed = try writeFile(plain, "looks-compressed.gz", in: dir)
            #expect(try IDX.read(contentsOf: compressed).integers == [1, 2, 3, -4])
            #expect(try IDX.read(contentsOf: misnamed).integers == [1, 2, 3, -4])
        }
        let fromPython = try IDX.read(data: Data(embeddedGzip))
        #expect(fromPython.shape == [2, 3] && fromPython.integers == [1, 2, 3, 250, 254, 255])
    }

    @Test func readsConcatenatedGzipMembers() throws {
        let plain = idx(type: 0x08, shape: [4, 100], payload: (0..<400).map { UInt8($0 % 251) })
        let joined = gzipped(Array(plain[..<150])) + gzipped(Array(plain[150...]))
        #expect(try IDX.read(data: Data(joined)).integers == (0..<400).map { $0 % 251 })
    }

    // MARK: - Malformed files

    @Test func rejectsBadHeaders() throws {
        try withScratchDirectory { dir in
            let cases: [([UInt8], [String])] = [
                ([], ["0 bytes, fewer than the 4-byte IDX magic"]),
                ([0, 0, 8], ["3 bytes"]),
                ([0x50, 0x4B, 0x03, 0x04, 0, 0], ["bad magic number 50 4b 03 04"]),
                ([0, 0, 0x07, 1, 0, 0, 0, 0], ["unknown element type 0x07"]),
                ([0, 0, 8, 0], ["declares 0 dimensions"]),
                ([0, 0, 8, 3, 0, 0, 0, 2, 0, 0], ["declares 3 dimensions (12 bytes of sizes)", "after 6 of them"]),
                (idx(type: 0x0E, shape: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: []), ["too large"]),
            ]
            for (i, (bytes, fragments)) in cases.enumerated() {
                let url = try writeFile(bytes, "bad\(i).idx", in: dir)
                expectDataError([url.path] + fragments) { _ = try IDX.read(contentsOf: url) }
            }
        }
    }

    @Test func rejectsDataThatDisagreesWithTheHeader() throws {
        try withScratchDirectory { dir in
            let short = try writeFile(idx(type: 0x08, shape: [60000, 28, 28], payload: Array(repeating: 7, count: 1234)),
                                      "train-images", in: dir)
            expectDataError(["train-images: header says 60000×28×28 bytes but only 1234 remain"]) {
                _ = try IDX.read(contentsOf: short)
            }
            let ints = try writeFile(idx(type: 0x0C, shape: [10, 3], payload: [1, 2, 3, 4, 5, 6, 7]), "ints", in: dir)
            expectDataError(["10×3 values of 4 bytes (120 bytes) but only 7 remain"]) { _ = try IDX.read(contentsOf: ints) }
            let long = try writeFile(idx(type: 0x08, shape: [2], payload: [1, 2, 3, 4, 5]), "long", in: dir)
            expectDataError([long.path, "3 bytes of trailing data after the 2 bytes"]) { _ = try IDX.read(contentsOf: long) }
        }
    }

    @Test func rejectsBadGzipStreams() throws {
        let plain = idx(type: 0x08, shape: [20, 20], payload: (0..<400).map { UInt8($0 % 7) })
        let good = gzipped(plain)
        try withScratchDirectory { dir in
            var corrupt = good
            corrupt[good.count - 6] ^= 0xFF   // inside the CRC-32 trailer
            let corruptURL = try writeFile(corrupt, "corrupt.gz", in: dir)
            expectDataError([corruptURL.path, "corrupt gzip stream"]) { _ = try IDX.read(contentsOf: corruptURL) }

            var mangled = good
            mangled[10] = 0xFF  // the first deflate block header now names the reserved block type 3
            let mangledURL = try writeFile(mangled, "mangled.gz", in: dir)
            expectDataError([mangledURL.path, "corrupt gzip stream"]) { _ = try IDX.read(contentsOf: mangledURL) }

            let truncated = try writeFile(Array(good.prefix(good.count - 10)), "truncated.gz", in: dir)
            expectDataError([truncated.path, "truncated"]) { _ = try IDX.read(contentsOf: truncated) }

            let garbage = try writeFile(good + [0, 0, 0, 1], "garbage.gz", in: dir)
            expectDataError([garbage.path, "4 bytes of trailing garbage after the gzip stream"]) {
                _ = try IDX.read(contentsOf: garbage)
            }

            let shortInside = try writeFile(gzipped(Array(plain.prefix(300))), "short.gz", in: dir)
            expectDataError(["header says 20×20 bytes but only 288 remain after decompression"]) {
                _ = try IDX.read(contentsOf: shortInside)
            }
            let longInside = try writeFile(gzipped(plain + [9, 9]), "long.gz", in: dir)
            expectDataError(["2 bytes of trailing data"]) { _ = try IDX.read(contentsOf: longInside) }

            // A header promising far more than the compressed file could hold fails before allocating it.
            let liar = try writeFile(gzipped(idx(type: 0x08, shape: [1_000_000, 1000], payload: [1])), "liar.gz", in: dir)
            expectDataError(["header says 1000000×1000 bytes but the compressed file could hold at most"]) {
                _ = try IDX.read(contentsOf: liar)
            }
        }
    }

    @Test func missingFileNamesThePath() {
        let url = URL(fileURLWithPath: "/nonexistent/cortex/images.idx")
        expectDataError(["/nonexistent/cortex/images.idx", "cannot read file"]) { _ = try IDX.read(contentsOf: url) }
    }

    // MARK: - Datasets

    @Test func loadsImagesAndLabelsScaled() throws {
        try withScratchDirectory { dir in
            let pixels: [UInt8] = (0..<(3 * 2 * 2)).map { UInt8($0 * 20) } + [255]
            let images = try writeFile(gzipped(idx(type: 0x08, shape: [3, 2, 2], payload: Array(pixels.prefix(12)))), "img.gz", in: dir)
            let labels = try writeFile(idx(type: 0x08, shape: [3], payload: [9, 0, 4]), "lab", in: dir)
            let data = try IDXDataset.load(images: images, labels: labels)
            #expect(data.count == 3)
            #expect(data.images.shape == [3, 1, 2, 2] && data.images.dtype == .float32)
            #expect(data.images.scalars == pixels.prefix(12).map { Float($0) / 255 })
            #expect(data.labels.dtype == .int64 && data.labels.integers == [9, 0, 4])
            let (input, target) = data.batch(at: [2, 0])
            #expect(input.shape == [2, 1, 2, 2] && input.scalars[0] == Float(160) / 255 && target.integers == [4, 9])
            let batches = Array(DataLoader(data, batchSize: 2))
            #expect(batches.map { $0.input.shape } == [[2, 1, 2, 2], [1, 1, 2, 2]])

            let fewer = try writeFile(idx(type: 0x08, shape: [2], payload: [1, 2]), "fewer", in: dir)
            expectDataError(["img.gz holds 3 images but fewer holds 2 labels"]) {
                _ = try IDXDataset.load(images: images, labels: fewer)
            }
            expectDataError([labels.path, "expected unsigned-byte images of shape N×H×W"]) {
                _ = try IDXDataset.load(images: labels, labels: labels)
            }
            expectDataError([dir.path, "t10k-images-idx3-ubyte(.gz) not found"]) {
                _ = try IDXDataset.fashionMNIST(.test, directory: dir)
            }
        }
    }

    @Test(.enabled(if: fashionInstalled, "Debian's dataset-fashion-mnist is not installed"))
    func readsTheRealFashionMNIST() throws {
        let train = try IDXDataset.fashionMNIST(.train)
        #expect(train.images.shape == [60000, 1, 28, 28])
        #expect(train.labels.shape == [60000])
        // Fashion-MNIST's training pixels average 0.2860 (the figure used to normalise it everywhere).
        #expect(abs(train.images.mean().item() - 0.2860) < 0.0005)
        var perClass = [Int](repeating: 0, count: 10)
        for label in train.labels.integers { perClass[label] += 1 }
        #expect(perClass == Array(repeating: 6000, count: 10))

        let test = try IDXDataset.fashionMNIST(.test)
        #expect(test.images.shape == [10000, 1, 28, 28] && test.count == 10000)
        #expect(test.images.amax().item() == 1 && test.images.amin().item() == 0)
    }
}
