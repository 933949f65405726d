// Tests for the .npy/.npz readers and the .npy writer, against files NumPy wrote
// (Resources/npy, made by its generate.py), plus one test per kind of malformed header or archive.
import Foundation
import Testing
import Cortex
@testable import CortexData

private let npyDirectory = Fixtures.resources.appendingPathComponent("npy")

private func fixture(_ name: String) throws -> Tensor { try NPY.read(contentsOf: npyDirectory.appendingPathComponent(name)) }
private func fixtureBytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: npyDirectory.appendingPathComponent(name))) }

/// A version-1.0 .npy file with `header` verbatim and `data` after it.
private func npy(_ header: String, data: [UInt8] = [], version: UInt8 = 1) -> [UInt8] {
    let text = Array(header.utf8)
    return NPY.magic + [version, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
}

private func expectClose(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-6, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }, "\(a) != \(b)", sourceLocation: sourceLocation)
}

@Suite("NPY reader")
struct NPYReaderTests {
    @Test func readsEveryDTypeNumPyWrote() throws {
        let f4 = try fixture("f4_2x3.npy")
        #expect(f4.dtype == .float32 && f4.shape == [2, 3] && f4.scalars == [-1, -0.5, 0, 0.5, 1, 1.5])
        let f8 = try fixture("f8_3.npy")
        #expect(f8.dtype == .float32 && f8.scalars == [Float(1.0 / 3), -2.5, 1e10])
        let f2 = try fixture("f2_3.npy")
        #expect(f2.dtype == .float16 && f2.scalars == [0.5, -1.25, 65504])
        let i8 = try fixture("i8_2x2.npy")
        #expect(i8.dtype == .int64 && i8.shape == [2, 2] && i8.integers == [-1, 1 << 40, 3, -4])
        let i4 = try fixture("i4_4.npy")
        #expect(i4.dtype == .int32 && i4.to(.int64).integers == [Int(Int32.min), -1, 0, Int(Int32.max)])
        let i2 = try fixture("i2_3.npy")
        #expect(i2.dtype == .int32 && i2.integers == [-32768, 7, 32767])
        let u1 = try fixture("u1_2x2x2.npy")
        #expect(u1.dtype == .uint8 && u1.shape == [2, 2, 2] && u1.integers == (0..<8).map { $0 * 30 })
        let b1 = try fixture("b1_5.npy")
        #expect(b1.dtype == .bool && b1.booleans == [true, false, true, true, false])
    }

    @Test func readsBigEndianFortranScalarEmptyAndLaterVersions() throws {
        #expect(try fixture("be_f4_2x2.npy").scalars == [1.5, -2, 3.25, 1e-3])
        #expect(try fixture("be_i8_3.npy").integers == [1, -2, 1 << 33])
        #expect(try fixture("be_f8_2.npy").scalars == [Float(0.1), -7])
        let fortran = try fixture("fortran_f4_2x3x4.npy")
        #expect(fortran.shape == [2, 3, 4] && fortran.isContiguous && fortran.scalars == (0..<24).map(Float.init))
        let fortranInts = try fixture("fortran_i4_3x2.npy")
        #expect(fortranInts.shape == [3, 2] && fortranInts.integers == [1, 2, 3, 4, 5, 6])
        let scalar = try fixture("scalar_f4.npy")
        #expect(scalar.shape == [] && scalar.item() == 3.5)
        let empty = try fixture("empty_f4_0x3.npy")
        #expect(empty.shape == [0, 3] && empty.count == 0)
        #expect(try fixture("v2_f4_3.npy").scalars == [1, 2, 3])
        #expect(try fixture("v3_i8_2.npy").integers == [5, -6])
    }

    @Test func writesTheSameBytesAsNumPy() throws {
        let cases: [(Tensor, String)] = [
            (Tensor([-1, -0.5, 0, 0.5, 1, 1.5], shape: [2, 3]), "f4_2x3.npy"),
            (Tensor([-1, 1 << 40, 3, -4], shape: [2, 2]), "i8_2x2.npy"),
            (Tensor([Int(Int32.min), -1, 0, Int(Int32.max)], dtype: .int32), "i4_4.npy"),
            (Tensor((0..<8).map { $0 * 30 }, shape: [2, 2, 2], dtype: .uint8), "u1_2x2x2.npy"),
            (Tensor([true, false, true, true, false]), "b1_5.npy"),
            (Tensor([0.5, -1.25, 65504]).to(.float16), "f2_3.npy"),
            (Tensor(3.5), "scalar_f4.npy"),
            (Tensor.zeros([0, 3]), "empty_f4_0x3.npy"),
        ]
        for (tensor, name) in cases {
            #expect([UInt8](NPY.encode(tensor)) == (try fixtureBytes(name)), "\(name)")
        }
    }

    @Test func writerRoundTripsEveryDTypeAndViews() throws {
        try withScratchDirectory { dir in
            let url = dir.appendingPathComponent("t.npy")
            let transposed = Tensor((0..<6).map(Float.init), shape: [2, 3]).transposed()
            try NPY.write(transposed, to: url)
            let back = try NPY.read(contentsOf: url)
            #expect(back.shape == [3, 2] && back.scalars == [0, 3, 1, 4, 2, 5])
            for dtype in DType.allCases {
                let t = Tensor([1, 0, 2, 5], shape: [2, 2]).to(dtype)
                try NPY.write(t, to: url)
                let read = try NPY.read(contentsOf: url)
                #expect(read.dtype == (dtype == .bfloat16 ? .float32 : dtype) && read.shape == [2, 2], "\(dtype)")
                #expect(read.scalars == t.scalars, "\(dtype)")
            }
            expectDataError(["/nonexistent-dir/x.npy", "cannot write file"]) {
                try NPY.write(Tensor([1]), to: URL(fileURLWithPath: "/nonexistent-dir/x.npy"))
            }
        }
    }

    @Test func readsStoredDeflatedAndZip64Archives() throws {
        let stored = try NPZ.read(contentsOf: npyDirectory.appendingPathComponent("stored.npz"))
        #expect(Set(stored.keys) == ["a", "b"])
        #expect(stored["a"]?.scalars == [0, 1, 2, 3] && stored["b"]?.integers == [1, 2, 3, 4] && stored["b"]?.shape == [2, 2])

        let deflated = try NPZ.read(contentsOf: npyDirectory.appendingPathComponent("deflated.npz"))
        #expect(Set(deflated.keys) == ["weights", "labels", "mask"])
        #expect(deflated["weights"]?.shape == [5, 10])
        expectClose(deflated["weights"]?.scalars ?? [], (0..<50).map { Float(-1 + 2 * Double($0) / 49) })
        #expect(deflated["labels"]?.dtype == .uint8 && deflated["labels"]?.integers == (0..<10).map { $0 % 3 })
        #expect(deflated["mask"]?.booleans == [true, false])

        let zip64Bytes = try fixtureBytes("zip64.npz")
        let zip64 = try NPZ.read(data: Data(zip64Bytes))
        #expect(zip64["x"]?.to(.int64).integers == [7, 8, 9] && zip64["y"]?.shape == [1, 1] && zip64["y"]?.item() == 0.25)
        // Counts and offset only in the zip64 end record, as for archives with 65535+ entries or over 4 GiB.
        var forced = zip64Bytes
        let end = forced.count - 22
        for i in [10, 11, 16, 17, 18, 19] { forced[end + i] = 0xFF }
        #expect(try NPZ.read(data: Data(forced))["x"]?.to(.int64).integers == [7, 8, 9])
    }

    // MARK: - Malformed files

    @Test func rejectsMalformedHeaders() {
        let cases: [([UInt8], String)] = [
            (Array("PK\u{3}\u{4}not npy at all".utf8), "not a .npy file: it starts with 50 4b 03 04"),
            (NPY.magic + [1, 0], "fewer than the 10-byte .npy preamble"),
            (npy("{}", version: 4), "unsupported .npy format version 4.0"),
            (NPY.magic + [1, 0, 0xFF, 0x7F, 0x7B], "header length 32767 runs past the end"),
            (npy("{'descr': '<f4', 'fortran_order': False}"), "the header has no 'shape' key"),
            (npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}"), "unsupported dtype '<c8'"),
            (npy("{'descr': '|f4', 'fortran_order': False, 'shape': (1,)}"), "dtype '|f4' has no byte order"),
            (npy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,)}"), "structured (record) arrays"),
            (npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}"), "'fortran_order' is not True or False"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}"), "'shape' holds -3"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}"), "'shape' is not a tuple"),
            (npy("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}"), "expected '}'"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk"), "unexpected text after the dict"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"), "too large"),
            (npy("{'a': " + String(repeating: "(", count: 40)), "nested too deeply"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,"), "the header ends early"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4)}"), "too large"),
        ]
        for (bytes, fragment) in cases {
            expectDataError(["bad.npy: ", fragment]) { _ = try NPY.read(data: Data(bytes), path: "bad.npy") }
        }
    }

    @Test func rejectsTruncatedOrOverlongData() throws {
        try withScratchDirectory { dir in
            let good = try fixtureBytes("f4_2x3.npy")
            let short = try writeFile(Array(good.dropLast(4)), "short.npy", in: dir)
            expectDataError([short.path, "shape 2×3 of '<f4' needs 24 bytes of data but only 20 remain"]) {
                _ = try NPY.read(contentsOf: short)
            }
            let long = try writeFile(good + [0, 0], "long.npy", in: dir)
            expectDataError([long.path, "but 26 follow the header (2 extra)"]) { _ = try NPY.read(contentsOf: long) }
        }
    }

    @Test func rejectsMalformedArchives() throws {
        expectDataError(["x.npz", "no end-of-central-directory record"]) {
            _ = try NPZ.read(data: Data(Array(repeating: 7, count: 40)), path: "x.npz")
        }
        let stored = try fixtureBytes("stored.npz")
        expectDataError(["no end-of-central-directory record"]) { _ = try NPZ.read(data: Data(stored.prefix(200)), path: "x.npz") }

        var flipped = stored
        flipped[55 + 130] ^= 0x01  // a data byte of a.npy (local header 30 + name 5 + zip64 extra 20)
        expectDataError(["x.npz[a.npy]: CRC-32 mismatch"]) { _ = try NPZ.read(data: Data(flipped), path: "x.npz") }

        var pastEnd = stored
        for i in 16..<20 { pastEnd[pastEnd.count - 22 + i] = 0x7F }
        expectDataError(["x.npz: malformed zip archive", "lies past the end"]) { _ = try NPZ.read(data: Data(pastEnd), path: "x.npz") }

        var corrupt = try fixtureBytes("deflated.npz")
        for i in 80..<120 { corrupt[i] = 0xA5 }  // inside weights.npy's deflate stream
        expectDataError(["x.npz[weights.npy]: "]) { _ = try NPZ.read(data: Data(corrupt), path: "x.npz") }
    }
}
