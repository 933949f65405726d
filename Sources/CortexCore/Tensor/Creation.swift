// Making tensors: from Swift values (a host-to-device copy), constant fills, ranges and identity
// matrices (fills on the device), moving between devices, and reading values back out (a
// device-to-host copy, made only where the caller asks for values).
import CortexEngine

extension Tensor {
    /// A tensor on `device` holding a copy of host `values` in `shape`.
    private convenience init<T: BitwiseCopyable>(host values: [T], shape: [Int], dtype: DType, device: Device, op: String) {
        require(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                "\(op): \(values.count) values do not fill shape \(shape)")
        _ = validatedByteCount(shape, dtype, op: op)
        self.init(storage: device.backend.upload(values), layout: Layout(contiguous: shape), dtype: dtype)
    }

    /// A float32 tensor holding `values` laid out row-major in `shape` (default: 1-D).
    public convenience init(_ values: [Float], shape: [Int]? = nil, device: Device = .default) {
        self.init(host: values, shape: shape ?? [values.count], dtype: .float32, device: device, op: "Tensor")
    }

    /// A 0-dimensional float32 tensor (a fill on the device, not a copy).
    public convenience init(_ value: Float, device: Device = .default) {
        self.init(uninitialized: [], device: device)
        backend.fill(operand, with: Double(value))
    }

    /// An integer tensor (int64 by default, or int32/uint8/int8) holding `values` in `shape`.
    public convenience init(_ values: [Int], shape: [Int]? = nil, dtype: DType = .int64, device: Device = .default) {
        let shape = shape ?? [values.count]
        require(dtype.isInteger || dtype == .float32, "Tensor: cannot build a \(dtype) tensor from integers")
        switch dtype {
        case .int64: self.init(host: values.map { Int64($0) }, shape: shape, dtype: dtype, device: device, op: "Tensor")
        case .int32: self.init(host: values.map { Int32(truncatingIfNeeded: $0) }, shape: shape, dtype: dtype, device: device, op: "Tensor")
        case .uint8: self.init(host: values.map { UInt8(truncatingIfNeeded: $0) }, shape: shape, dtype: dtype, device: device, op: "Tensor")
        case .int8: self.init(host: values.map { Int8(truncatingIfNeeded: $0) }, shape: shape, dtype: dtype, device: device, op: "Tensor")
        default: self.init(host: values.map { Float($0) }, shape: shape, dtype: dtype, device: device, op: "Tensor")
        }
    }

    /// A boolean mask tensor.
    public convenience init(_ values: [Bool], shape: [Int]? = nil, device: Device = .default) {
        self.init(host: values.map { UInt8($0 ? 1 : 0) }, shape: shape ?? [values.count], dtype: .bool, device: device, op: "Tensor")
    }

    /// A tensor of `dtype` whose bytes are `bytes` (little-endian elements, row-major): how readers of
    /// files hand their data to a device in one copy.
    public convenience init(bytes: [UInt8], shape: [Int], dtype: DType, device: Device = .default) {
        let expected = validatedByteCount(shape, dtype, op: "Tensor(bytes:)")
        require(bytes.count == expected, "Tensor(bytes:): \(bytes.count) bytes do not fill shape \(shape) of \(dtype) (\(expected) bytes)")
        self.init(storage: device.backend.upload(bytes), layout: Layout(contiguous: shape), dtype: dtype)
    }

    /// A tensor of `shape` with every element equal to `value`.
    public static func full(_ shape: [Int], _ value: Float, dtype: DType = .float32, device: Device = .default) -> Tensor {
        let t = Tensor(uninitialized: shape, dtype: dtype, device: device)
        t.backend.fill(t.operand, with: Double(value))
        return t
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .default) -> Tensor {
        // All-zero bytes are 0 in every dtype.
        let storage = device.backend.allocate(byteCount: validatedByteCount(shape, dtype, op: "zeros"), zeroed: true)
        return Tensor(storage: storage, layout: Layout(contiguous: shape), dtype: dtype)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .default) -> Tensor {
        full(shape, 1, dtype: dtype, device: device)
    }
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, dtype: other.dtype, device: other.device) }
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape, dtype: other.dtype, device: other.device) }

    /// A scalar constant on this tensor's device, for use as a broadcast operand inside an op.
    package func constant(_ value: Float) -> Tensor { Tensor(value, device: device) }

    /// Values start, start+step, … below `end` (as torch.arange); float32 unless `dtype` says otherwise.
    public static func arange(_ start: Float, _ end: Float, step: Float = 1, dtype: DType = .float32,
                              device: Device = .default) -> Tensor {
        require(step != 0, "arange: step must be non-zero")
        let n = max(0, Int(((end - start) / step).rounded(.up)))
        let values = (0..<n).map { start + Float($0) * step }
        if dtype == .float32 { return Tensor(values, device: device) }
        return Tensor(values.map { Int($0) }, dtype: dtype, device: device)
    }

    /// 0, 1, …, end-1 as int64 — the usual index range.
    public static func arange(_ end: Int, device: Device = .default) -> Tensor { Tensor(Array(0..<end), device: device) }

    /// `count` evenly spaced values from `start` to `end` inclusive (as torch.linspace).
    public static func linspace(_ start: Float, _ end: Float, count: Int, device: Device = .default) -> Tensor {
        require(count >= 0, "linspace: count must be non-negative, got \(count)")
        if count == 1 { return Tensor([start], device: device) }
        let step = (end - start) / Float(count - 1)
        // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
        let values = (0..<count).map { i in i < count / 2 ? start + step * Float(i) : end - step * Float(count - 1 - i) }
        return Tensor(values, device: device)
    }

    /// An n×m matrix with ones on the diagonal: the diagonal is a strided view filled on the device.
    public static func eye(_ n: Int, _ m: Int? = nil, device: Device = .default) -> Tensor {
        let m = m ?? n
        let t = zeros([n, m], device: device)
        let diagonal = Layout(shape: [min(n, m)], strides: [m + 1])
        t.backend.fill(Operand(t.storage, diagonal, .float32), with: 1)
        return t
    }

    // MARK: - Devices

    /// This tensor on `device`: `self` when it is already there, else a copy through the host (counted as
    /// transfers by a discrete device). Differentiable: the gradient moves back.
    public func to(device target: Device) -> Tensor {
        if target == device { return self }
        let source = contiguousStorage()
        let storage: Storage
        switch dtype.byteSize {
        case 1: storage = target.backend.upload(source.backend.download(source.operand, as: UInt8.self))
        case 2: storage = target.backend.upload(source.backend.download(source.operand, as: UInt16.self))
        case 4: storage = target.backend.upload(source.backend.download(source.operand, as: UInt32.self))
        default: storage = target.backend.upload(source.backend.download(source.operand, as: UInt64.self))
        }
        let moved = Tensor(storage: storage, layout: Layout(contiguous: shape), dtype: dtype)
        let origin = device
        return moved.recordingGrad("to(device)", inputs: [self]) { g in [g.to(device: origin)] }
    }

    // MARK: - Reading values (device-to-host copies)

    /// All elements converted to Float, row-major.
    public var scalars: [Float] {
        let source = dtype == .float32 ? self : to(.float32).detach()
        return backend.download(source.operand, as: Float.self)
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

    /// The values of an integer or bool tensor as Int64, read exactly (row-major).
    var int64Values: [Int64] {
        require(!dtype.isFloatingPoint, "int64Values: \(dtype) is not an integer type")
        return backend.download(to(.int64).operand, as: Int64.self)
    }

    /// All elements as Bool (non-zero is true).
    public var booleans: [Bool] { scalars.map { $0 != 0 } }

    /// The value of a one-element tensor.
    public func item() -> Float {
        require(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
        return scalars[0]
    }

    /// The raw little-endian bytes of the elements, row-major: what writers of files store.
    public var bytes: [UInt8] {
        let c = contiguousStorage()
        let raw = Operand(c.storage, Layout(contiguous: [c.count * dtype.byteSize], offset: c.offset * dtype.byteSize), .uint8)
        return backend.download(raw, as: UInt8.self)
    }
}
