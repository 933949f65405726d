// Element-type conversion of contiguous buffers: float32 for compute, narrower floats for storage,
// integers for labels and indices. Integers convert among themselves exactly, never through Float,
// which holds whole numbers exactly only up to 2^24.

enum Cast {
    static func run(from source: DType, _ src: UnsafeRawPointer, to target: DType, _ dst: UnsafeMutableRawPointer, count n: Int) {
        if n == 0 { return }
        if source == target {
            dst.copyMemory(from: src, byteCount: n * source.byteSize)
            return
        }
        if !source.isFloatingPoint && !target.isFloatingPoint {
            for i in 0..<n { storeInteger(integer(src, source, i), dst, target, i) }
            return
        }
        if source == .float32 {
            let s = src.assumingMemoryBound(to: Float.self)
            for i in 0..<n { storeFloat(s[i], dst, target, i) }
            return
        }
        if target == .float32 {
            let d = dst.assumingMemoryBound(to: Float.self)
            for i in 0..<n { d[i] = float(src, source, i) }
            return
        }
        for i in 0..<n { storeFloat(float(src, source, i), dst, target, i) }
    }

    /// Element `i` of an integer or bool buffer, exactly.
    @inline(__always)
    static func integer(_ p: UnsafeRawPointer, _ dtype: DType, _ i: Int) -> Int64 {
        switch dtype {
        case .int64: p.load(fromByteOffset: 8 * i, as: Int64.self)
        case .int32: Int64(p.load(fromByteOffset: 4 * i, as: Int32.self))
        case .int8: Int64(p.load(fromByteOffset: i, as: Int8.self))
        default: Int64(p.load(fromByteOffset: i, as: UInt8.self))
        }
    }

    /// Element `i` of any buffer as Float.
    @inline(__always)
    static func float(_ p: UnsafeRawPointer, _ dtype: DType, _ i: Int) -> Float {
        switch dtype {
        case .float32: p.load(fromByteOffset: 4 * i, as: Float.self)
        case .float16: Float(Float16(bitPattern: p.load(fromByteOffset: 2 * i, as: UInt16.self)))
        case .bfloat16: BFloat16Bits.toFloat(p.load(fromByteOffset: 2 * i, as: UInt16.self))
        default: Float(integer(p, dtype, i))
        }
    }

    @inline(__always)
    static func storeInteger(_ v: Int64, _ p: UnsafeMutableRawPointer, _ dtype: DType, _ i: Int) {
        switch dtype {
        case .int64: p.storeBytes(of: v, toByteOffset: 8 * i, as: Int64.self)
        case .int32: p.storeBytes(of: Int32(truncatingIfNeeded: v), toByteOffset: 4 * i, as: Int32.self)
        case .uint8: p.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
        case .int8: p.storeBytes(of: Int8(truncatingIfNeeded: v), toByteOffset: i, as: Int8.self)
        case .bool: p.storeBytes(of: UInt8(v != 0 ? 1 : 0), toByteOffset: i, as: UInt8.self)
        default: storeFloat(Float(v), p, dtype, i)
        }
    }

    /// Stores a Float as `dtype`: to an integer it truncates toward zero (NaN and out-of-range give 0, then
    /// wrap to the narrow type), to bool it is "non-zero".
    @inline(__always)
    static func storeFloat(_ v: Float, _ p: UnsafeMutableRawPointer, _ dtype: DType, _ i: Int) {
        switch dtype {
        case .float32: p.storeBytes(of: v, toByteOffset: 4 * i, as: Float.self)
        case .float16: p.storeBytes(of: Float16(v).bitPattern, toByteOffset: 2 * i, as: UInt16.self)
        case .bfloat16: p.storeBytes(of: BFloat16Bits.from(v), toByteOffset: 2 * i, as: UInt16.self)
        case .int64: p.storeBytes(of: Int64(exactly: v.rounded(.towardZero)) ?? 0, toByteOffset: 8 * i, as: Int64.self)
        case .int32: p.storeBytes(of: Int32(exactly: v.rounded(.towardZero)) ?? 0, toByteOffset: 4 * i, as: Int32.self)
        case .uint8: p.storeBytes(of: UInt8(truncatingIfNeeded: Int(exactly: v.rounded(.towardZero)) ?? 0), toByteOffset: i, as: UInt8.self)
        case .int8: p.storeBytes(of: Int8(truncatingIfNeeded: Int(exactly: v.rounded(.towardZero)) ?? 0), toByteOffset: i, as: Int8.self)
        case .bool: p.storeBytes(of: UInt8(v != 0 ? 1 : 0), toByteOffset: i, as: UInt8.self)
        }
    }
}
