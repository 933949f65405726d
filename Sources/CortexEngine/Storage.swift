// Device memory and the view of it an op works on. Above the engine a storage is opaque: its bytes are
// reached only through its backend's kernels and its copy-in / copy-out.

/// A block of memory on one device, owned by the tensors that view it.
public final class Storage: @unchecked Sendable {
    public let device: Device
    /// Bytes asked for.
    public let byteCount: Int
    /// The memory itself: host memory for the CPU and for the simulated device alike, but reachable only
    /// inside the engine.
    let buffer: TensorBuffer
    /// The account of the device this memory is counted in, until it is freed.
    private let memory: DeviceMemory

    init(device: Device, byteCount: Int, zeroed: Bool, memory: DeviceMemory) {
        self.device = device
        self.byteCount = byteCount
        self.memory = memory
        buffer = zeroed ? TensorBuffer(zeroedByteCount: byteCount) : TensorBuffer(byteCount: byteCount)
    }

    deinit { memory.release(byteCount) }
}

/// How a tensor's elements sit in its storage: shape, element strides (0 on broadcast axes) and the
/// element offset of the first element.
public struct Layout: Sendable, Equatable {
    public var shape: [Int]
    public var strides: [Int]
    public var offset: Int

    public init(shape: [Int], strides: [Int], offset: Int = 0) {
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A row-major layout of `shape` starting at `offset`.
    public init(contiguous shape: [Int], offset: Int = 0) {
        self.init(shape: shape, strides: contiguousStrides(shape), offset: offset)
    }

    public var count: Int { shape.reduce(1, *) }

    /// Row-major with no gaps (size-1 axes may have any stride).
    public var isContiguous: Bool {
        var expected = 1
        for axis in shape.indices.reversed() where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }
}

/// One argument of a kernel: a storage, the layout to read or write it through, and its element type.
public struct Operand: Sendable {
    public let storage: Storage
    public let layout: Layout
    public let dtype: DType

    public init(_ storage: Storage, _ layout: Layout, _ dtype: DType) {
        self.storage = storage
        self.layout = layout
        self.dtype = dtype
    }

    var count: Int { layout.count }
    /// The first element's address. Valid while the operand (and so its storage) is alive: kernels use it
    /// only inside the call that received the operand.
    var raw: UnsafeMutableRawPointer { storage.buffer.raw + layout.offset * dtype.byteSize }
    var floats: UnsafeMutablePointer<Float> {
        require(dtype == .float32, "kernel: expected a float32 operand, got \(dtype)")
        return raw.assumingMemoryBound(to: Float.self)
    }
    var int64s: UnsafeMutablePointer<Int64> {
        require(dtype == .int64, "kernel: expected an int64 operand, got \(dtype)")
        return raw.assumingMemoryBound(to: Int64.self)
    }
    var bytes: UnsafeMutablePointer<UInt8> { raw.assumingMemoryBound(to: UInt8.self) }
}
