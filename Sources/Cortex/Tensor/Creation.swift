// Making tensors: from Swift values, constant fills, ranges and identity matrices, and reading
// values back out.
import CortexEngine

extension Tensor {
    /// A float32 tensor holding `values` laid out row-major in `shape` (default: 1-D).
    public convenience init(_ values: [Float], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        require(shape.reduce(1, *) == values.count, "Tensor: \(values.count) values do not fill shape \(shape)")
        self.init(uninitialized: shape, dtype: .float32)
        values.withUnsafeBufferPointer { floatPointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A 0-dimensional float32 tensor.
    public convenience init(_ value: Float) { self.init([value], shape: []) }

    /// An integer tensor (int64 by default, or int32/uint8/int8) holding `values` in `shape`.
    public convenience init(_ values: [Int], shape: [Int]? = nil, dtype: DType = .int64) {
        let shape = shape ?? [values.count]
        require(shape.reduce(1, *) == values.count, "Tensor: \(values.count) values do not fill shape \(shape)")
        require(dtype.isInteger || dtype == .float32, "Tensor: cannot build a \(dtype) tensor from integers")
        self.init(uninitialized: shape, dtype: dtype)
        let p = rawPointer
        switch dtype {
        case .int64: for (i, v) in values.enumerated() { p.storeBytes(of: Int64(v), toByteOffset: i * 8, as: Int64.self) }
        case .int32: for (i, v) in values.enumerated() { p.storeBytes(of: Int32(v), toByteOffset: i * 4, as: Int32.self) }
        case .uint8: for (i, v) in values.enumerated() { p.storeBytes(of: UInt8(v), toByteOffset: i, as: UInt8.self) }
        case .int8: for (i, v) in values.enumerated() { p.storeBytes(of: Int8(v), toByteOffset: i, as: Int8.self) }
        default: for (i, v) in values.enumerated() { p.storeBytes(of: Float(v), toByteOffset: i * 4, as: Float.self) }
        }
    }

    /// A boolean mask tensor.
    public convenience init(_ values: [Bool], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        require(shape.reduce(1, *) == values.count, "Tensor: \(values.count) values do not fill shape \(shape)")
        self.init(uninitialized: shape, dtype: .bool)
        let p = rawPointer.assumingMemoryBound(to: UInt8.self)
        for (i, v) in values.enumerated() { p[i] = v ? 1 : 0 }
    }

    /// A tensor of `shape` with every element equal to `value`.
    public static func full(_ shape: [Int], _ value: Float, dtype: DType = .float32) -> Tensor {
        let t = Tensor(uninitialized: shape, dtype: dtype)
        let n = t.count
        switch dtype {
        case .float32: t.floatPointer.update(repeating: value, count: n)
        case .int64: t.rawPointer.assumingMemoryBound(to: Int64.self).update(repeating: Int64(value), count: n)
        case .int32: t.rawPointer.assumingMemoryBound(to: Int32.self).update(repeating: Int32(value), count: n)
        case .uint8: t.rawPointer.assumingMemoryBound(to: UInt8.self).update(repeating: UInt8(value), count: n)
        case .int8: t.rawPointer.assumingMemoryBound(to: Int8.self).update(repeating: Int8(value), count: n)
        case .bool: t.rawPointer.assumingMemoryBound(to: UInt8.self).update(repeating: value != 0 ? 1 : 0, count: n)
        case .float16: t.rawPointer.assumingMemoryBound(to: UInt16.self).update(repeating: Float16(value).bitPattern, count: n)
        case .bfloat16: t.rawPointer.assumingMemoryBound(to: UInt16.self).update(repeating: BFloat16Bits.from(value), count: n)
        }
        return t
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        // All-zero bytes are 0 in every dtype.
        return Tensor(buffer: TensorBuffer(zeroedByteCount: validatedByteCount(shape, dtype, op: "zeros")), shape: shape,
                      strides: contiguousStrides(shape), offset: 0, dtype: dtype)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(shape, 1, dtype: dtype) }
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, dtype: other.dtype) }
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape, dtype: other.dtype) }

    /// Values start, start+step, … below `end` (as torch.arange); float32 unless `dtype` says otherwise.
    public static func arange(_ start: Float, _ end: Float, step: Float = 1, dtype: DType = .float32) -> Tensor {
        require(step != 0, "arange: step must be non-zero")
        let n = max(0, Int(((end - start) / step).rounded(.up)))
        let values = (0..<n).map { start + Float($0) * step }
        if dtype == .float32 { return Tensor(values) }
        return Tensor(values.map { Int($0) }, dtype: dtype)
    }

    /// 0, 1, …, end-1 as int64 — the usual index range.
    public static func arange(_ end: Int) -> Tensor { Tensor(Array(0..<end)) }

    /// `count` evenly spaced values from `start` to `end` inclusive (as torch.linspace).
    public static func linspace(_ start: Float, _ end: Float, count: Int) -> Tensor {
        require(count >= 0, "linspace: count must be non-negative, got \(count)")
        if count == 1 { return Tensor([start]) }
        let step = (end - start) / Float(count - 1)
        // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
        let values = (0..<count).map { i in i < count / 2 ? start + step * Float(i) : end - step * Float(count - 1 - i) }
        return Tensor(values)
    }

    /// An n×m matrix with ones on the diagonal.
    public static func eye(_ n: Int, _ m: Int? = nil) -> Tensor {
        let m = m ?? n
        let t = zeros([n, m])
        for i in 0..<min(n, m) { t.floatPointer[i * m + i] = 1 }
        return t
    }

    // MARK: - Reading values

    /// All elements converted to Float, row-major.
    public var scalars: [Float] {
        let c = contiguousStorage()
        return withExtendedLifetime(c) {
            let p = c.rawPointer
            let n = c.count
            switch dtype {
            case .float32: return Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Float.self), count: n))
            case .int64: return (0..<n).map { Float(p.load(fromByteOffset: $0 * 8, as: Int64.self)) }
            case .int32: return (0..<n).map { Float(p.load(fromByteOffset: $0 * 4, as: Int32.self)) }
            case .uint8, .bool: return (0..<n).map { Float(p.load(fromByteOffset: $0, as: UInt8.self)) }
            case .int8: return (0..<n).map { Float(p.load(fromByteOffset: $0, as: Int8.self)) }
            case .float16: return (0..<n).map { Float(Float16(bitPattern: p.load(fromByteOffset: $0 * 2, as: UInt16.self))) }
            case .bfloat16: return (0..<n).map { BFloat16Bits.toFloat(p.load(fromByteOffset: $0 * 2, as: UInt16.self)) }
            }
        }
    }

    /// All elements converted to Int, row-major: integers exactly, floats truncated toward zero. A float
    /// that is NaN or beyond Int's range stops with a message (it is no integer).
    public var integers: [Int] {
        if !dtype.isFloatingPoint { return int64Values.map { Int($0) } }
        return scalars.map { value in
            guard let whole = Int(exactly: value.rounded(.towardZero)) else {
                fatalError("integers: \(value) has no integer value")
            }
            return whole
        }
    }

    /// All elements as Bool (non-zero is true).
    public var booleans: [Bool] { scalars.map { $0 != 0 } }

    /// The value of a one-element tensor.
    public func item() -> Float {
        require(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
        return scalars[0]
    }
}
