// The n-dimensional array at the centre of Cortex: a (possibly strided) view of device storage,
// plus the autograd bookkeeping that links it to the operation that produced it.
import CortexEngine

/// An n-dimensional, row-major array with a runtime element type and reverse-mode autograd.
///
/// Tensors are reference types, as in PyTorch: an operation returns a new tensor, views
/// (`reshape`, `permute`, slicing, `expand`) share the underlying storage, and `grad` accumulates
/// on leaf tensors whose `requiresGrad` is true.
public final class Tensor: @unchecked Sendable {
    /// The memory this tensor views, on its device. Changed only by `relocate(to:)`, which moves a
    /// module's parameters in place (as PyTorch's `module.to(device)` does).
    private(set) var storage: Storage
    /// Shape, strides (0 marks an axis broadcast by `expand`) and element offset inside `storage`.
    private(set) var layout: Layout
    public let dtype: DType

    public var shape: [Int] { layout.shape }
    /// Element strides per axis; 0 marks an axis that was broadcast by `expand`.
    public var strides: [Int] { layout.strides }
    /// Element offset of this view's first element inside its storage.
    var offset: Int { layout.offset }
    /// The device holding this tensor's values; ops run there.
    public var device: Device { storage.device }
    /// The backend that computes on this tensor's device.
    var backend: any Backend { storage.device.backend }
    /// This tensor as a kernel argument.
    var operand: Operand { Operand(storage, layout, dtype) }

    /// The operation that produced this tensor, when it was recorded for autograd.
    var gradNode: GradNode?
    private var leafRequiresGrad = false
    /// Gradient accumulated by `backward()` on a leaf (or on a tensor marked with `retainGrad()`).
    public var grad: Tensor?
    var retainsGrad = false

    init(storage: Storage, layout: Layout, dtype: DType) {
        self.storage = storage
        self.layout = layout
        self.dtype = dtype
    }

    /// A new contiguous tensor on `device` whose contents are undefined; every element must be written.
    convenience init(uninitialized shape: [Int], dtype: DType = .float32, device: Device) {
        let storage = device.backend.allocate(byteCount: validatedByteCount(shape, dtype, op: "Tensor"), zeroed: false)
        self.init(storage: storage, layout: Layout(contiguous: shape), dtype: dtype)
    }

    /// A new uninitialised contiguous tensor on this tensor's device: the output of an op on it.
    func makeOutput(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        Tensor(uninitialized: shape, dtype: dtype, device: device)
    }

    // MARK: - Shape

    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    public var isScalar: Bool { shape.isEmpty }
    public var isContiguous: Bool { layout.isContiguous }

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
        Tensor(storage: storage, layout: layout, dtype: dtype)
    }

    /// Moves this tensor's values (and its gradient) to `device` in place, keeping its identity, so an
    /// optimiser or a module holding it sees the moved tensor. Views made before the move keep the old memory.
    func relocate(to target: Device) {
        guard target != device else { return }
        let moved = noGrad { detach().to(device: target) }
        storage = moved.storage
        layout = moved.layout
        grad?.relocate(to: target)
    }

    // MARK: - Layout

    /// A contiguous tensor with the same values: `self` if already contiguous, else a copy made on the
    /// device. Not recorded by autograd; ops call it on inputs before running a kernel.
    package func contiguousStorage() -> Tensor {
        if isContiguous { return self }
        let out = makeOutput(shape, dtype: dtype)
        backend.copy(operand, into: out.operand)
        return out
    }
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
