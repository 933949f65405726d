// The n-dimensional array at the centre of Cortex: a (possibly strided) view of a shared buffer,
// plus the autograd bookkeeping that links it to the operation that produced it.
import CortexEngine

/// An n-dimensional, row-major array with a runtime element type and reverse-mode autograd.
///
/// Tensors are reference types, as in PyTorch: an operation returns a new tensor, views
/// (`reshape`, `permute`, slicing, `expand`) share the underlying buffer, and `grad` accumulates
/// on leaf tensors whose `requiresGrad` is true.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    /// Element strides per axis; 0 marks an axis that was broadcast by `expand`.
    public let strides: [Int]
    /// Element offset of this view's first element inside `buffer`.
    let offset: Int
    public let dtype: DType
    let buffer: TensorBuffer

    /// The operation that produced this tensor, when it was recorded for autograd.
    var gradNode: GradNode?
    private var leafRequiresGrad = false
    /// Gradient accumulated by `backward()` on a leaf (or on a tensor marked with `retainGrad()`).
    public var grad: Tensor?
    var retainsGrad = false

    init(buffer: TensorBuffer, shape: [Int], strides: [Int], offset: Int, dtype: DType) {
        self.buffer = buffer
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.dtype = dtype
    }

    /// A new contiguous tensor whose contents are undefined; every element must be written.
    convenience init(uninitialized shape: [Int], dtype: DType = .float32) {
        self.init(buffer: TensorBuffer(byteCount: validatedByteCount(shape, dtype, op: "Tensor")), shape: shape,
                  strides: contiguousStrides(shape), offset: 0, dtype: dtype)
    }

    // MARK: - Shape

    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    public var isScalar: Bool { shape.isEmpty }
    public var isContiguous: Bool {
        var expected = 1
        for axis in shape.indices.reversed() where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// Size of `axis`, which may be negative (counted from the end).
    public func size(_ axis: Int) -> Int { shape[normalizeAxis(axis, rank: rank, op: "size")] }

    // MARK: - Autograd state

    /// Whether gradients flow to this tensor. Settable on leaves only (tensors made by the user).
    public var requiresGrad: Bool {
        get { leafRequiresGrad || gradNode != nil }
        set {
            require(gradNode == nil || newValue, "requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()")
            require(!newValue || dtype.isFloatingPoint, "requiresGrad: only floating-point tensors can require gradients (got \(dtype))")
            leafRequiresGrad = newValue
        }
    }

    /// Sets `requiresGrad` and returns self, for chaining at creation: `Tensor.randn([3]).requiringGrad()`.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    /// True for tensors not produced by a recorded operation.
    public var isLeaf: Bool { gradNode == nil }

    /// Keeps the gradient of this non-leaf tensor after `backward()` (leaves always keep theirs).
    public func retainGrad() { retainsGrad = true }

    /// The same data, cut from the graph: no gradient flows through the result.
    public func detach() -> Tensor {
        Tensor(buffer: buffer, shape: shape, strides: strides, offset: offset, dtype: dtype)
    }

    // MARK: - Raw access (engine side)

    /// A contiguous tensor with the same values: `self` if already contiguous, else a copy.
    /// Not recorded by autograd; ops call it on inputs before running a kernel.
    func contiguousStorage() -> Tensor {
        if isContiguous { return self }
        let out = Tensor(uninitialized: shape, dtype: dtype)
        let size = dtype.byteSize
        withExtendedLifetime(self) {
            StridedCopy.copy(elementSize: size, shape: shape, source: buffer.raw + offset * size, strides: strides,
                             destination: out.buffer.raw)
        }
        return out
    }

    /// Pointer to the first element; valid only while `self` is alive — use inside `withExtendedLifetime`
    /// or through `withFloats`.
    var rawPointer: UnsafeMutableRawPointer { buffer.raw + offset * dtype.byteSize }
    var floatPointer: UnsafeMutablePointer<Float> {
        require(dtype == .float32, "expected a float32 tensor, got \(dtype)")
        return rawPointer.assumingMemoryBound(to: Float.self)
    }
}

/// Runs `body` with the float32 pointers of contiguous tensors, keeping them alive throughout.
@inline(__always)
func withFloats<R>(_ a: Tensor, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    try withExtendedLifetime(a) { try body(a.floatPointer) }
}

@inline(__always)
func withFloats<R>(_ a: Tensor, _ b: Tensor,
                   _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    try withExtendedLifetime((a, b)) { try body(a.floatPointer, b.floatPointer) }
}

@inline(__always)
func withFloats<R>(_ a: Tensor, _ b: Tensor, _ c: Tensor,
                   _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    try withExtendedLifetime((a, b, c)) { try body(a.floatPointer, b.floatPointer, c.floatPointer) }
}

@inline(__always)
func withFloats<R>(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ d: Tensor,
                   _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    try withExtendedLifetime((a, b, c, d)) { try body(a.floatPointer, b.floatPointer, c.floatPointer, d.floatPointer) }
}

/// The byte size of a new tensor of `shape`, or a stop naming `op` when a dimension is negative or the
/// layout overflows (shapes from files are checked by their readers first, which throw instead).
func validatedByteCount(_ shape: [Int], _ dtype: DType, op: String) -> Int {
    require(shape.allSatisfy { $0 >= 0 }, "\(op): negative dimension in shape \(shape)")
    guard let bytes = checkedByteCount(shape: shape, elementSize: dtype.byteSize) else {
        fatalError("\(op): shape \(shape) of \(dtype) is too large: its size in bytes does not fit in 64 bits")
    }
    return bytes
}

/// Maps a possibly negative axis into 0..<rank, or stops with a message naming the op.
func normalizeAxis(_ axis: Int, rank: Int, op: String) -> Int {
    let resolved = axis < 0 ? axis + max(rank, 1) : axis
    require(resolved >= 0 && resolved < max(rank, 1), "\(op): dimension \(axis) is out of range for a tensor of rank \(rank)")
    return resolved
}
