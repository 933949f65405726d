// Shapes from files whose element count is fine (zero) but whose layout overflows: each reader throws
// before any tensor is made, and tensor creation stops with a message instead of an arithmetic trap.
import Foundation
import Testing
import Cortex
import CortexEngine

@Suite("Hostile shapes")
struct HostileShapeTests {
    @Test func layoutCheckCountsZeroDimensionsAsOne() {
        #expect(checkedByteCount(shape: [0, 1 << 32, 1 << 32], elementSize: 1) == nil)
        #expect(checkedByteCount(shape: [1 << 31, 1 << 31, 0], elementSize: 4) == nil)
        #expect(checkedByteCount(shape: [0, 1 << 30, 1 << 30], elementSize: 4) == 0)
        #expect(checkedByteCount(shape: [3, -1], elementSize: 4) == nil)
        #expect(checkedByteCount(shape: [2, 3], elementSize: 8) == 48)
        #expect(checkedByteCount(shape: [], elementSize: 2) == 2)
    }

    @Test func idxWithZeroThenHugeDimensionsThrows() {
        var bytes: [UInt8] = [0, 0, 0x08, 3]
        for dim: UInt32 in [0, 0xFFFF_FFFF, 0xFFFF_FFFF] { bytes += withUnsafeBytes(of: dim.bigEndian) { Array($0) } }
        expectDataError(["too large", "0×4294967295×4294967295"]) { _ = try IDX.read(data: Data(bytes), path: "x.idx") }
    }

    @Test func npyWithZeroThenHugeShapeThrows() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776), }"
        var text = Array(header.utf8)
        while (10 + text.count + 1) % 64 != 0 { text.append(0x20) }
        text.append(0x0A)
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text
        expectDataError(["too large"]) { _ = try NPY.read(data: Data(bytes), path: "x.npy") }
    }

    @Test func safetensorsWithZeroThenHugeShapeThrows() {
        let header = Array(#"{"t":{"dtype":"U8","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}"#.utf8)
        let bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        let error = #expect(throws: SafetensorsError.self) { _ = try SafetensorsArchive(bytes: bytes) }
        #expect(error?.message.contains("too large") == true, "\(String(describing: error))")
    }

    @Test func creatingSuchATensorStopsWithAMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([0, 1 << 40, 1 << 40])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("zeros") && text.contains("too large"), "\(text)")
    }
}
