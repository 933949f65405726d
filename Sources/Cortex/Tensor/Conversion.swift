// Converting between element types: float32 for compute, narrower floats for storage, integers
// for labels and indices. Conversion to float32 is differentiable (gradients flow back as float32).
import CortexEngine

extension Tensor {
    /// This tensor's values in `dtype` (a copy; `self` when the type already matches).
    /// Float→integer truncates toward zero; anything→bool is "non-zero".
    public func to(_ target: DType) -> Tensor {
        if target == dtype { return self }
        let source = contiguousStorage()
        let out = Tensor(uninitialized: shape, dtype: target)
        let n = count
        withExtendedLifetime(source) {
            let src = source.rawPointer, dst = out.rawPointer
            // Fast paths that avoid a trip through Float.
            if dtype == .float16 && target == .float32 {
                let s = src.assumingMemoryBound(to: Float16.self), d = dst.assumingMemoryBound(to: Float.self)
                for i in 0..<n { d[i] = Float(s[i]) }
                return
            }
            if dtype == .float32 && target == .float16 {
                let s = src.assumingMemoryBound(to: Float.self), d = dst.assumingMemoryBound(to: Float16.self)
                for i in 0..<n { d[i] = Float16(s[i]) }
                return
            }
            // Integers (and bools) convert among themselves exactly, never through Float, which holds
            // whole numbers exactly only up to 2^24.
            if !dtype.isFloatingPoint && !target.isFloatingPoint {
                let values = source.int64Values
                switch target {
                case .int64: dst.assumingMemoryBound(to: Int64.self).update(from: values, count: n)
                case .int32: for i in 0..<n { dst.storeBytes(of: Int32(truncatingIfNeeded: values[i]), toByteOffset: 4 * i, as: Int32.self) }
                case .uint8: for i in 0..<n { dst.storeBytes(of: UInt8(truncatingIfNeeded: values[i]), toByteOffset: i, as: UInt8.self) }
                case .int8: for i in 0..<n { dst.storeBytes(of: Int8(truncatingIfNeeded: values[i]), toByteOffset: i, as: Int8.self) }
                case .bool: for i in 0..<n { dst.storeBytes(of: UInt8(values[i] != 0 ? 1 : 0), toByteOffset: i, as: UInt8.self) }
                default: break
                }
                return
            }
            let values = source.scalars
            switch target {
            case .float32: dst.assumingMemoryBound(to: Float.self).update(from: values, count: n)
            case .float16: for i in 0..<n { dst.storeBytes(of: Float16(values[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self) }
            case .bfloat16: for i in 0..<n { dst.storeBytes(of: BFloat16Bits.from(values[i]), toByteOffset: 2 * i, as: UInt16.self) }
            case .int64: for i in 0..<n { dst.storeBytes(of: Int64(exactly: values[i].rounded(.towardZero)) ?? 0, toByteOffset: 8 * i, as: Int64.self) }
            case .int32: for i in 0..<n { dst.storeBytes(of: Int32(exactly: values[i].rounded(.towardZero)) ?? 0, toByteOffset: 4 * i, as: Int32.self) }
            case .uint8: for i in 0..<n { dst.storeBytes(of: UInt8(truncatingIfNeeded: Int(exactly: values[i].rounded(.towardZero)) ?? 0), toByteOffset: i, as: UInt8.self) }
            case .int8: for i in 0..<n { dst.storeBytes(of: Int8(truncatingIfNeeded: Int(exactly: values[i].rounded(.towardZero)) ?? 0), toByteOffset: i, as: Int8.self) }
            case .bool: for i in 0..<n { dst.storeBytes(of: values[i] != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self) }
            }
        }
        if target == .float32 && dtype.isFloatingPoint {
            let sourceType = dtype
            return out.recordingGrad("to(float32)", inputs: [self]) { g in [g.to(sourceType)] }
        }
        return out
    }

    /// The values of an integer or bool tensor as Int64, read exactly (row-major).
    var int64Values: [Int64] {
        require(!dtype.isFloatingPoint, "int64Values: \(dtype) is not an integer type")
        let c = contiguousStorage()
        return withExtendedLifetime(c) {
            let p = c.rawPointer, n = c.count
            switch dtype {
            case .int64: return Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Int64.self), count: n))
            case .int32: return (0..<n).map { Int64(p.load(fromByteOffset: 4 * $0, as: Int32.self)) }
            case .int8: return (0..<n).map { Int64(p.load(fromByteOffset: $0, as: Int8.self)) }
            default: return (0..<n).map { Int64(p.load(fromByteOffset: $0, as: UInt8.self)) }
            }
        }
    }

    /// Indices as a contiguous Int64 buffer, read through `body` (accepts int64/int32/uint8 tensors).
    func withIndices<R>(op: String, _ body: (UnsafeBufferPointer<Int64>) throws -> R) rethrows -> R {
        require(dtype.isInteger, "\(op): indices must be an integer tensor, got \(dtype)")
        let c = to(.int64).contiguousStorage()
        return try withExtendedLifetime(c) {
            try body(UnsafeBufferPointer(start: c.rawPointer.assumingMemoryBound(to: Int64.self), count: c.count))
        }
    }

    /// A mask as a contiguous byte buffer (1 = true), read through `body`.
    func withMask<R>(op: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        require(dtype == .bool || dtype == .uint8, "\(op): mask must be a bool tensor, got \(dtype)")
        let c = contiguousStorage()
        return try withExtendedLifetime(c) {
            try body(UnsafeBufferPointer(start: c.rawPointer.assumingMemoryBound(to: UInt8.self), count: c.count))
        }
    }
}
