// Tensors in and out of safetensors files: the bridge between the container format
// (Safetensors.swift) and `Tensor`, used by the parity fixtures, checkpoints and weight import.
import Foundation

extension DType {
    /// The safetensors name of this element type.
    public var safetensorsType: SafetensorsDType {
        switch self {
        case .float32: .F32
        case .float16: .F16
        case .bfloat16: .BF16
        case .int64: .I64
        case .int32: .I32
        case .uint8: .U8
        case .int8: .I8
        case .bool: .BOOL
        }
    }
}

extension SafetensorsArchive {
    /// The tensor stored under `name`, copied into Cortex memory. F64 loads as float32 and I16 as int32
    /// (Cortex has no such types).
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else {
            throw SafetensorsError("no tensor named '\(name)' (the file has \(entries.count) tensors)")
        }
        return try withBytes(of: name) { bytes in
            let n = entry.elementCount
            func load<T>(_ type: T.Type, _ i: Int) -> T { bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self) }
            switch entry.dtype {
            case .F32, .F16, .BF16, .I64, .I32, .U8, .I8, .BOOL:
                let dtype: DType = switch entry.dtype {
                case .F32: .float32
                case .F16: .float16
                case .BF16: .bfloat16
                case .I64: .int64
                case .I32: .int32
                case .U8: .uint8
                case .I8: .int8
                default: .bool
                }
                return Tensor(bytes: [UInt8](bytes), shape: entry.shape, dtype: dtype)
            case .F64:
                return Tensor((0..<n).map { Float(load(Double.self, $0)) }, shape: entry.shape)
            case .I16:
                return Tensor((0..<n).map { Int(load(Int16.self, $0)) }, shape: entry.shape, dtype: .int32)
            }
        }
    }

    /// Every tensor in the file, by name.
    public func tensors() throws -> [String: Tensor] {
        try Dictionary(uniqueKeysWithValues: names.map { ($0, try tensor($0)) })
    }
}

extension SafetensorsWriter {
    /// Adds a tensor (any layout; written row-major in its own dtype).
    public mutating func add(_ name: String, _ tensor: Tensor) throws {
        try add(name, dtype: tensor.dtype.safetensorsType, shape: tensor.shape, bytes: tensor.bytes)
    }
}

/// Reads every tensor of a safetensors file.
public func loadSafetensors(_ url: URL) throws -> [String: Tensor] {
    try SafetensorsArchive(contentsOf: url).tensors()
}

/// Writes tensors to a safetensors file atomically (temporary file, then rename).
public func saveSafetensors(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:]) throws {
    var writer = SafetensorsWriter(metadata: metadata)
    for (name, tensor) in tensors { try writer.add(name, tensor) }
    try writer.write(to: url)
}
