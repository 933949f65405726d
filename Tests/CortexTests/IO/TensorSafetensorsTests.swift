// Tensors through safetensors files: every dtype round trips, views are written row-major.
import Foundation
import Testing
import Cortex

@Suite("Tensor safetensors")
struct TensorSafetensorsTests {
    @Test func everyDTypeRoundTrips() throws {
        let base = Tensor([1.5, -2, 0, 7] as [Float], shape: [2, 2])
        let tensors: [String: Tensor] = [
            "f32": base, "f16": base.to(.float16), "bf16": base.to(.bfloat16),
            "i64": Tensor([1, -2, 3]), "i32": Tensor([4, 5], dtype: .int32), "u8": Tensor([0, 255], dtype: .uint8),
            "i8": Tensor([-128, 0, 127], dtype: .int8),
            "bool": Tensor([true, false, true]), "scalar": Tensor(3.25), "transposed": base.T,
        ]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try saveSafetensors(tensors, to: url, metadata: ["format": "pt"])
        let loaded = try loadSafetensors(url)
        #expect(Set(loaded.keys) == Set(tensors.keys))
        for (name, original) in tensors {
            let copy = try #require(loaded[name])
            #expect(copy.dtype == original.dtype && copy.shape == original.shape, "\(name)")
            #expect(copy.scalars == original.scalars, "\(name)")
        }
        #expect(try SafetensorsArchive(contentsOf: url).metadata == ["format": "pt"])
    }

    @Test func missingTensorNameThrows() throws {
        var writer = SafetensorsWriter()
        try writer.add("a", Tensor([1] as [Float]))
        let archive = try SafetensorsArchive(bytes: writer.serialized())
        #expect(throws: SafetensorsError.self) { try archive.tensor("b") }
    }
}
