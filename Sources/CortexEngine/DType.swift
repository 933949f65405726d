// Element types a tensor can hold. Float32 is the compute type; integers carry labels and indices,
// Bool carries masks, Float16/BFloat16 and Int8 exist for storage, weight import and quantisation.

public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32, float16, bfloat16, int64, int32, uint8, int8, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float16, .bfloat16: 2
        case .int64: 8
        case .uint8, .int8, .bool: 1
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float16 || self == .bfloat16 }
    public var isInteger: Bool { self == .int64 || self == .int32 || self == .uint8 || self == .int8 }
    public var description: String { rawValue }
}

/// BFloat16 conversions: the top 16 bits of a Float32, rounded to nearest even (as PyTorch does).
public enum BFloat16Bits {
    public static func from(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }   // keep it a quiet NaN
        let roundingBias = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ roundingBias) >> 16)
    }

    public static func toFloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}
