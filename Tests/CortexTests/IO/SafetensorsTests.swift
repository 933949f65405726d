// Tests for the safetensors container: round trips, exact byte layout, atomic writes, and one test per
// kind of malformed input, each of which must throw a SafetensorsError rather than crash.
import Foundation
import Testing
import Cortex

// MARK: - Helpers

/// Raw bytes of an array of trivial values, in memory (little-endian) order.
private func rawBytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { [UInt8]($0) } }

/// A file with the given header text taken verbatim (no padding) and data section.
private func file(_ header: String, data: [UInt8] = []) -> [UInt8] {
    let json = Array(header.utf8)
    return rawBytes([UInt64(json.count).littleEndian]) + json + data
}

/// A file with a single tensor entry "t" whose fields are spliced in verbatim.
private func singleEntry(_ fields: String, data: [UInt8] = []) -> [UInt8] { file("{\"t\":{\(fields)}}", data: data) }

/// Parses `bytes`, expecting a SafetensorsError whose message contains every one of `fragments`.
private func expectMalformed(_ bytes: [UInt8], mentions fragments: [String] = [],
                             sourceLocation: SourceLocation = #_sourceLocation) {
    let error = #expect(throws: SafetensorsError.self, sourceLocation: sourceLocation) {
        _ = try SafetensorsArchive(bytes: bytes)
    }
    for fragment in fragments {
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "no error") lacks '\(fragment)'",
                sourceLocation: sourceLocation)
    }
}

private extension SafetensorsWriter {
    mutating func add(_ name: String, _ dtype: SafetensorsDType, _ shape: [Int], _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try add(name, dtype: dtype, shape: shape, bytes: $0) }
    }
}

/// A fresh directory, removed after `body`.
private func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-safetensors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try body(dir)
}

private let validEntry = "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]"

@Suite("Safetensors")
struct SafetensorsTests {
    // MARK: - Round trips and layout

    @Test func dtypeByteSizes() {
        let sizes = Dictionary(uniqueKeysWithValues: SafetensorsDType.allCases.map { ($0.rawValue, $0.byteSize) })
        #expect(sizes == ["F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2,
                          "I8": 1, "U8": 1, "BOOL": 1])
    }

    @Test func roundTripsEveryDTypeScalarEmptyAndMetadata() throws {
        let tensors: [(String, SafetensorsDType, [Int], [UInt8])] = [
            ("f64", .F64, [3], rawBytes([1.5, -2.25, 1e300])),
            ("f32/matrix", .F32, [2, 3], rawBytes([Float](arrayLiteral: 1, 2, 3, 4, 5, 6))),
            ("f16", .F16, [2], [0x00, 0x3C, 0x00, 0xC0]),
            ("bf16", .BF16, [1, 2], [0x80, 0x3F, 0x00, 0x40]),
            ("i64", .I64, [2], rawBytes([Int64.min, Int64.max])),
            ("i32", .I32, [1], rawBytes([Int32(-7)])),
            ("i16", .I16, [3], rawBytes([Int16(1), -1, 300])),
            ("i8", .I8, [2], rawBytes([Int8(-128), 127])),
            ("u8", .U8, [4], [0, 1, 254, 255]),
            ("bool", .BOOL, [3], [1, 0, 1]),
            ("scalar", .F32, [], rawBytes([Float(3.5)])),
            ("empty", .F32, [0, 3], []),
            ("ünïcode \"name\"\n", .U8, [1], [42]),
        ]
        let metadata = ["format": "pt", "note": "quotes \" and \\ and é"]
        var writer = SafetensorsWriter(metadata: metadata)
        for (name, dtype, shape, bytes) in tensors { try writer.add(name, dtype, shape, bytes) }
        let archive = try SafetensorsArchive(bytes: writer.serialized())

        #expect(archive.metadata == metadata)
        #expect(archive.names == tensors.map(\.0).sorted())
        for (name, dtype, shape, bytes) in tensors {
            let entry = try #require(archive.entries[name])
            #expect(entry.name == name && entry.dtype == dtype && entry.shape == shape)
            #expect(entry.byteRange.count == bytes.count)
            #expect(try archive.bytes(of: name) == bytes)
        }
        #expect(archive.entries["scalar"]?.elementCount == 1)
        #expect(archive.entries["empty"]?.elementCount == 0)
        #expect(archive.entries["empty"]?.byteRange.isEmpty == true)
        #expect(try archive.withBytes(of: "empty") { $0.count } == 0)
    }

    @Test func tinyFileIsByteExact() throws {
        var writer = SafetensorsWriter()
        try writer.add("x", .F32, [2], rawBytes([Float(1), 2]))
        // The header JSON is 54 bytes; 8 + 54 = 62 is padded with 2 spaces to 64, so N = 56.
        let json = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(json.utf8.count == 54)
        let expected: [UInt8] = [56, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + [0x20, 0x20]
            + [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40]  // 1.0f and 2.0f, little-endian
        #expect(writer.serialized() == expected)
        #expect(try SafetensorsArchive(bytes: expected).entries["x"]?.byteRange == 0..<8)
    }

    @Test func metadataComesFirstAndIsSortedByKey() throws {
        var writer = SafetensorsWriter(metadata: ["b": "2", "a": "1"])
        try writer.add("t", .U8, [], [7])
        let bytes = writer.serialized()
        let header = String(decoding: bytes[8..<(bytes.count - 1)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"a":"1","b":"2"},"t":{"#))
    }

    @Test func headerIsPaddedSoDataStartsOnA8ByteBoundary() throws {
        for nameLength in 1...17 {
            var writer = SafetensorsWriter(metadata: nameLength.isMultiple(of: 2) ? ["k": "v"] : [:])
            try writer.add(String(repeating: "n", count: nameLength), .U8, [1], [9])
            let bytes = writer.serialized()
            let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect((8 + headerLength) % 8 == 0)
            #expect(bytes.count == 8 + headerLength + 1)
            #expect([UInt8(ascii: " "), UInt8(ascii: "}")].contains(bytes[8 + headerLength - 1]))
            #expect(try SafetensorsArchive(bytes: bytes).bytes(of: String(repeating: "n", count: nameLength)) == [9])
        }
    }

    @Test func writerSortsByNameAndLaysDataContiguously() throws {
        var forward = SafetensorsWriter(), backward = SafetensorsWriter()
        let items: [(String, [UInt8])] = [("c", [1, 2, 3]), ("a", [4]), ("b", [5, 6])]
        for (name, bytes) in items { try forward.add(name, .U8, [bytes.count], bytes) }
        for (name, bytes) in items.reversed() { try backward.add(name, .U8, [bytes.count], bytes) }
        #expect(forward.serialized() == backward.serialized())

        let archive = try SafetensorsArchive(bytes: forward.serialized())
        #expect(archive.entries["a"]?.byteRange == 0..<1)
        #expect(archive.entries["b"]?.byteRange == 1..<3)
        #expect(archive.entries["c"]?.byteRange == 3..<6)
        #expect(Array(forward.serialized().suffix(6)) == [4, 5, 6, 1, 2, 3])
    }

    @Test func writerRejectsBadTensors() throws {
        var writer = SafetensorsWriter()
        try writer.add("w", .F32, [2], rawBytes([Float(1), 2]))
        let duplicate = #expect(throws: SafetensorsError.self) { try writer.add("w", .F32, [2], rawBytes([Float(3), 4])) }
        #expect(duplicate?.message.contains("'w'") == true)
        let mismatch = #expect(throws: SafetensorsError.self) {
            try writer.add("m", .F32, [2, 3], [UInt8](repeating: 0, count: 20))
        }
        #expect(mismatch?.message.contains("20") == true && mismatch?.message.contains("24") == true)
        #expect(throws: SafetensorsError.self) { try writer.add("n", .U8, [-1], []) }
        #expect(throws: SafetensorsError.self) { try writer.add("o", .U8, [Int.max, 2], []) }
        #expect(throws: SafetensorsError.self) { try writer.add("__metadata__", .U8, [1], [0]) }
        #expect(try SafetensorsArchive(bytes: writer.serialized()).names == ["w"])
    }

    // MARK: - Files

    @Test func atomicWriteOverwritesAndLeavesNoTemporaryFile() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("model.safetensors")
            try Data("not a checkpoint, and longer than the new one will be".utf8).write(to: url)
            var writer = SafetensorsWriter(metadata: ["step": "1"])
            try writer.add("w", .I32, [2], rawBytes([Int32(5), 6]))
            try writer.write(to: url)

            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
            #expect(try [UInt8](Data(contentsOf: url)) == writer.serialized())
            let archive = try SafetensorsArchive(contentsOf: url)
            #expect(archive.metadata == ["step": "1"])
            #expect(try archive.bytes(of: "w") == rawBytes([Int32(5), 6]))
        }
    }

    @Test func failedWriteLeavesNoTemporaryFile() throws {
        try withTemporaryDirectory { dir in
            // Renaming a file over a non-empty directory fails, after the temporary file was written.
            let target = dir.appendingPathComponent("occupied")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
            try Data([1]).write(to: target.appendingPathComponent("keep"))
            var writer = SafetensorsWriter()
            try writer.add("w", .U8, [1], [1])
            let error = #expect(throws: SafetensorsError.self) { try writer.write(to: target) }
            #expect(error?.message.contains(target.path) == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["occupied"])

            let missing = dir.appendingPathComponent("no/such/dir/x.safetensors")
            let missingError = #expect(throws: SafetensorsError.self) { try writer.write(to: missing) }
            #expect(missingError?.message.contains(missing.path) == true)
        }
    }

    @Test func fileErrorsNameThePath() throws {
        try withTemporaryDirectory { dir in
            let missing = dir.appendingPathComponent("absent.safetensors")
            let notFound = #expect(throws: SafetensorsError.self) { try SafetensorsArchive(contentsOf: missing) }
            #expect(notFound?.message.contains(missing.path) == true)

            let bad = dir.appendingPathComponent("bad.safetensors")
            let nineBytes = [UInt8](repeating: 0, count: 9)
            try Data(singleEntry("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,9]", data: nineBytes)).write(to: bad)
            let malformed = #expect(throws: SafetensorsError.self) { try SafetensorsArchive(contentsOf: bad) }
            #expect(malformed?.message.contains(bad.path) == true)
            #expect(malformed?.message.contains("'t'") == true)
        }
    }

    @Test func readsRealPyTorchFile() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Resources/torch/cases.safetensors").standardizedFileURL
        let archive = try SafetensorsArchive(contentsOf: url)
        #expect(archive.entries.count > 100)
        #expect(Set(archive.entries.values.map(\.dtype)).isSubset(of: [.F32, .I64, .BOOL]))

        let input = try #require(archive.entries["exp/input"])
        #expect(input.dtype == .F32)
        #expect(!input.shape.isEmpty && input.elementCount == input.shape.reduce(1, *))
        #expect(input.byteRange.count == input.elementCount * 4)

        // The data must decode to the right numbers, not just the right sizes: output = exp(input).
        let floats = { (name: String) in try archive.withBytes(of: name) { raw in
            (0..<raw.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } } }
        let x = try floats("exp/input"), y = try floats("exp/output")
        #expect(x.count == input.elementCount && y.count == x.count)
        #expect(zip(x, y).allSatisfy { abs(Foundation.exp($0) - $1) <= 1e-5 + 1e-4 * abs($1) })

        // Re-serialising every tensor reproduces identical entries and bytes.
        var writer = SafetensorsWriter(metadata: archive.metadata)
        for name in archive.names {
            let entry = archive.entries[name]!
            try archive.withBytes(of: name) { try writer.add(name, dtype: entry.dtype, shape: entry.shape, bytes: $0) }
        }
        let copy = try SafetensorsArchive(bytes: writer.serialized())
        #expect(copy.names == archive.names && copy.metadata == archive.metadata)
        for name in archive.names {
            #expect(copy.entries[name]?.shape == archive.entries[name]?.shape)
            #expect(try copy.bytes(of: name) == archive.bytes(of: name))
        }
    }

    // MARK: - Malformed input

    @Test func everyTruncationOfAValidFileThrows() throws {
        var writer = SafetensorsWriter(metadata: ["k": "v"])
        try writer.add("a", .F32, [2], rawBytes([Float(1), 2]))
        try writer.add("b", .U8, [3], [1, 2, 3])
        let bytes = writer.serialized()
        _ = try SafetensorsArchive(bytes: bytes)
        for cut in 0..<bytes.count {
            #expect(throws: SafetensorsError.self, "cut at \(cut) of \(bytes.count)") {
                _ = try SafetensorsArchive(bytes: Array(bytes[0..<cut]))
            }
        }
    }

    @Test func fileShorterThanLengthField() {
        expectMalformed([], mentions: ["shorter than"])
        expectMalformed([1, 0, 0, 0, 0, 0, 0], mentions: ["7 bytes"])
    }

    @Test func absurdHeaderLengthIsRejectedWithoutAllocating() {
        for length: UInt64 in [1 << 63, .max, 100_000_001] {
            expectMalformed(rawBytes([length.littleEndian]) + Array("{}".utf8), mentions: ["\(length)", "limit"])
        }
    }

    @Test func headerLongerThanFile() {
        expectMalformed(rawBytes([UInt64(100).littleEndian]) + Array("{}".utf8), mentions: ["100", "2 bytes"])
    }

    @Test func headerNotUTF8() {
        expectMalformed(rawBytes([UInt64(4).littleEndian]) + [0x7B, 0xFF, 0xFE, 0x7D], mentions: ["UTF-8"])
    }

    @Test(arguments: ["", "{", "{\"t\":}", "{\"t\" 1}", "{\"t\":1,}", "{\"t\":nul}", "{} x", "{'t':1}",
                      "{\"a\":\"\u{1}\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\u+123\"}",
                      "{\"a\":01}",
                      "{\"a\":-}", "{\"a\":1.}", String(repeating: "[", count: 100_000)])
    func headerNotJSON(header: String) {
        expectMalformed(file(header), mentions: ["not valid JSON"])
    }

    @Test(arguments: ["[]", "\"x\"", "3", "null"])
    func headerNotAnObject(header: String) {
        expectMalformed(file(header), mentions: ["not a JSON object"])
    }

    @Test func duplicateKeysRejected() {
        expectMalformed(file("{\"t\":{\(validEntry)},\"t\":{\(validEntry)}}", data: [UInt8](repeating: 0, count: 8)),
                        mentions: ["duplicate", "\"t\""])
    }

    @Test func entryNotAnObject() {
        expectMalformed(file("{\"t\":[1,2]}"), mentions: ["'t'", "not an object"])
    }

    @Test(arguments: ["dtype", "shape", "data_offsets"])
    func entryMissingField(field: String) {
        let fields = ["\"dtype\":\"U8\"", "\"shape\":[1]", "\"data_offsets\":[0,1]"]
            .filter { !$0.hasPrefix("\"\(field)\"") }
        expectMalformed(singleEntry(fields.joined(separator: ","), data: [0]),
                        mentions: ["'t'", "missing \"\(field)\""])
    }

    @Test func unknownDType() {
        expectMalformed(singleEntry("\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]", data: [0]),
                        mentions: ["'t'", "F8_E4M3"])
        expectMalformed(singleEntry("\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,1]", data: [0]), mentions: ["dtype"])
    }

    @Test(arguments: ["-1", "1.5", "2.0", "1e3", "true", "\"2\"", "null", "[2]", "99999999999999999999"])
    func badShapeEntry(dim: String) {
        expectMalformed(singleEntry("\"dtype\":\"U8\",\"shape\":[1,\(dim)],\"data_offsets\":[0,2]", data: [0, 0]),
                        mentions: ["'t'", "shape entry 1"])
    }

    @Test func shapeWhoseProductOverflows() {
        expectMalformed(singleEntry("\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]"),
                        mentions: ["'t'", "too large"])
        // The element count fits, but not once multiplied by the 8-byte element size.
        expectMalformed(singleEntry("\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]"),
                        mentions: ["too large"])
    }

    @Test(arguments: ["[0]", "[0,4,8]", "[-4,0]", "[0,4.0]", "[true,4]", "0", "[0,18446744073709551616]"])
    func badDataOffsets(offsets: String) {
        expectMalformed(singleEntry("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\(offsets)", data: [0, 0, 0, 0]),
                        mentions: ["'t'", "data_offsets must be two non-negative integers"])
    }

    @Test func dataOffsetsBeginAfterEnd() {
        expectMalformed(singleEntry("\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]", data: [0, 0, 0, 0]),
                        mentions: ["'t'", "[4, 0]", "begin > end"])
    }

    @Test func dataOffsetsBeyondDataSection() {
        expectMalformed(singleEntry("\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]", data: [0, 0, 0, 0]),
                        mentions: ["'t'", "[2, 6]", "4-byte data section"])
        // Offsets past Int32 and near Int64.max parse exactly and are rejected as out of range, not mangled.
        let huge = "9223372036854775000"
        expectMalformed(singleEntry("\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[\(huge),9223372036854775008]"),
                        mentions: [huge, "beyond"])
        expectMalformed(singleEntry("\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[5000000000,5000000000]"),
                        mentions: ["5000000000", "beyond"])
    }

    @Test func dataSizeDoesNotMatchShape() {
        let sixteenBytes = [UInt8](repeating: 0, count: 16)
        expectMalformed(singleEntry("\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]", data: sixteenBytes),
                        mentions: ["'t'", "12 bytes", "16"])
        expectMalformed(singleEntry("\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,0]"), mentions: ["needs 4"])
    }

    @Test func overlappingRangesRejected() {
        let header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[2,6]}}"
        expectMalformed(file(header, data: [UInt8](repeating: 0, count: 6)), mentions: ["'a'", "'b'", "overlap"])
    }

    @Test func adjacentGappedAndEmptyRangesAreAccepted() throws {
        // Empty tensors may point anywhere in range; gaps between tensors are tolerated.
        let header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
            + "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]},"
            + "\"e\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[1,1]},"
            + "\"g\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[6,7]}}   "
        let archive = try SafetensorsArchive(bytes: file(header, data: [1, 2, 3, 4, 5, 6, 7]))
        #expect(archive.names == ["a", "b", "e", "g"])
        #expect(try archive.bytes(of: "b") == [3, 4])
        #expect(try archive.bytes(of: "g") == [7])
        #expect(try archive.bytes(of: "e") == [])
    }

    @Test func metadataMustMapStringsToStrings() {
        expectMalformed(file("{\"__metadata__\":{\"epoch\":3}}"), mentions: ["'epoch'", "not a string"])
        expectMalformed(file("{\"__metadata__\":{\"ok\":\"1\",\"bad\":true}}"), mentions: ["'bad'"])
        expectMalformed(file("{\"__metadata__\":[\"a\"]}"), mentions: ["__metadata__", "not an object"])
    }

    @Test func escapedNamesAreDecoded() throws {
        let header = #"{"caf\u00e9 \ud83d\ude00\n\/":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#
        let archive = try SafetensorsArchive(bytes: file(header, data: [5]))
        #expect(archive.names == ["café 😀\n/"])
    }

    @Test func unknownTensorNameThrows() throws {
        let archive = try SafetensorsArchive(bytes: SafetensorsWriter().serialized())
        #expect(archive.entries.isEmpty && archive.metadata.isEmpty)
        let error = #expect(throws: SafetensorsError.self) { try archive.bytes(of: "missing") }
        #expect(error?.message.contains("'missing'") == true)
    }
}
