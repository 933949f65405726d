// The CPU backend: host memory from the buffer pool, platform BLAS, and the run-time-dispatched SIMD
// kernels. This file holds memory, transfers, layout, element-wise ops, reductions and GEMM; the
// other kernel families are extensions in CPUBackend+<Family>.swift.
import CBLAS
import CCortexKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Computes on host memory. Also the kernel body of the simulated device, which subclasses it.
public class CPUBackend: Backend, @unchecked Sendable {
    public static let shared = CPUBackend(device: .cpu)
    public let device: Device
    public let memory: DeviceMemory
    /// The first error a kernel or allocation met since the last `synchronize()`, kept until then, as CUDA keeps
    /// its sticky errors: ops do not throw, so `model(x)` reads as it does without a device.
    private let pendingError = Mutex<DeviceError?>(nil)

    init(device: Device, memoryLimit: Int? = nil) {
        self.device = device
        memory = DeviceMemory(limit: memoryLimit)
    }

    /// Keeps `error` for the next `synchronize()`, unless an earlier one is waiting.
    final func record(_ error: DeviceError) {
        pendingError.withLock { if $0 == nil { $0 = error } }
    }

    /// Work on the CPU is done when its call returns; this raises the error an op recorded since the last call.
    public func synchronize() throws {
        if let error = pendingError.withLock({ error -> DeviceError? in defer { error = nil }; return error }) { throw error }
    }

    /// New storage of `byteCount` bytes, counted in the device's memory; over the device's limit, an out-of-memory
    /// error is recorded for the next `synchronize()`.
    private func newStorage(byteCount: Int, zeroed: Bool) -> Storage {
        if !memory.reserve(byteCount) {
            record(.outOfMemory(device: device.name, requested: byteCount, inUse: memory.inUse - byteCount, limit: memory.limit ?? 0))
        }
        return Storage(device: device, byteCount: byteCount, zeroed: zeroed, memory: memory)
    }

    /// Stops unless `operand` lives on this backend's device: an op never mixes devices silently.
    @inline(__always)
    final func check(_ operand: Operand?, _ op: @autoclosure () -> String) {
        guard let operand, operand.storage.device != device else { return }
        fatalError("\(op()): a tensor on \(operand.storage.device) was used with tensors on \(device); move it with .to(device:)")
    }

    // MARK: - Memory and host transfers

    public func allocate(byteCount: Int, zeroed: Bool) -> Storage {
        newStorage(byteCount: byteCount, zeroed: zeroed)
    }

    public func upload<T: BitwiseCopyable>(_ values: [T]) -> Storage {
        let bytes = values.count * MemoryLayout<T>.stride
        let storage = newStorage(byteCount: bytes, zeroed: false)
        values.withUnsafeBytes { source in
            if bytes > 0 { storage.buffer.raw.copyMemory(from: source.baseAddress!, byteCount: bytes) }
        }
        return storage
    }

    public func download<T: BitwiseCopyable>(_ source: Operand, as type: T.Type) -> [T] {
        check(source, "download")
        require(MemoryLayout<T>.stride == source.dtype.byteSize,
                "download: \(T.self) does not match the \(source.dtype) elements")
        let n = source.count
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            if n > 0 {
                StridedCopy.copy(elementSize: source.dtype.byteSize, shape: source.layout.shape, source: source.raw,
                                 strides: source.layout.strides, destination: UnsafeMutableRawPointer(buffer.baseAddress!))
            }
            initialized = n
        }
    }

    // MARK: - Layout, fills and casts

    public func copy(_ source: Operand, into destination: Operand) {
        check(source, "copy"); check(destination, "copy")
        require(source.layout.shape == destination.layout.shape && source.dtype == destination.dtype,
                "copy: \(source.layout.shape) \(source.dtype) into \(destination.layout.shape) \(destination.dtype)")
        if source.count == 0 { return }
        StridedCopy.copy(elementSize: source.dtype.byteSize, shape: source.layout.shape, source: source.raw,
                         strides: source.layout.strides, destination: destination.raw,
                         destinationStrides: destination.layout.strides)
    }

    public func fill(_ destination: Operand, with value: Double) {
        check(destination, "fill")
        if destination.count == 0 { return }
        switch destination.dtype {
        case .float32: fill(destination, Float(value))
        case .float16: fill(destination, Float16(Float(value)).bitPattern)
        case .bfloat16: fill(destination, BFloat16Bits.from(Float(value)))
        case .int64: fill(destination, Int64(exactly: value.rounded(.towardZero)) ?? 0)
        case .int32: fill(destination, Int32(exactly: value.rounded(.towardZero)) ?? 0)
        case .uint8: fill(destination, UInt8(truncatingIfNeeded: Int(exactly: value.rounded(.towardZero)) ?? 0))
        case .int8: fill(destination, Int8(truncatingIfNeeded: Int(exactly: value.rounded(.towardZero)) ?? 0))
        case .bool: fill(destination, UInt8(value != 0 ? 1 : 0))
        }
    }

    private func fill<T>(_ destination: Operand, _ value: T) {
        let p = destination.raw.assumingMemoryBound(to: T.self)
        if destination.layout.isContiguous {
            p.update(repeating: value, count: destination.count)
            return
        }
        let loop = StridedLoop(shape: destination.layout.shape, strides: [destination.layout.strides])
        let n = loop.innerCount, s = loop.innerStride(0)
        loop.forEachRow(in: 0..<loop.rowCount) { _, offsets in
            let row = p + offsets[0]
            for i in 0..<n { row[i * s] = value }
        }
    }

    public func cast(_ source: Operand, into destination: Operand) {
        check(source, "cast"); check(destination, "cast")
        require(source.layout.isContiguous && destination.layout.isContiguous && source.count == destination.count,
                "cast: operands must be contiguous and of one size")
        Cast.run(from: source.dtype, source.raw, to: destination.dtype, destination.raw, count: source.count)
    }

    // MARK: - Element-wise

    public func unary(_ op: UnaryOp, _ x: Operand, into y: Operand) {
        check(x, "unary"); check(y, "unary")
        Unary.apply(op, x.floats, y.floats, count: y.count)
    }

    public func unaryBackward(_ op: UnaryOp, input: Operand?, output: Operand?, gradient: Operand, into: Operand) {
        check(input, "unary backward"); check(output, "unary backward"); check(gradient, "unary backward"); check(into, "unary backward")
        // Operands the rule does not read get the gradient's pointer.
        let g = gradient.floats
        Unary.backward(op, x: input?.floats ?? g, y: output?.floats ?? g, grad: g, into: into.floats, count: into.count)
    }

    public func binary(_ op: BinaryOp, _ a: Operand, _ b: Operand, into out: Operand) {
        check(a, "binary"); check(b, "binary"); check(out, "binary")
        Binary.apply(op, shape: out.layout.shape, a: a.floats, aStrides: a.layout.strides, b: b.floats, bStrides: b.layout.strides,
                     out: out.floats)
    }

    public func compare(_ op: CompareOp, _ a: Operand, _ b: Operand, into out: Operand) {
        check(a, "compare"); check(b, "compare"); check(out, "compare")
        switch op {
        case .equal: Compare.run(a, b, out) { $0 == $1 }
        case .notEqual: Compare.run(a, b, out) { $0 != $1 }
        case .less: Compare.run(a, b, out) { $0 < $1 }
        case .lessOrEqual: Compare.run(a, b, out) { $0 <= $1 }
        case .greater: Compare.run(a, b, out) { $0 > $1 }
        case .greaterOrEqual: Compare.run(a, b, out) { $0 >= $1 }
        case .and: Compare.run(a, b, out) { $0 != 0 && $1 != 0 }
        case .or: Compare.run(a, b, out) { $0 != 0 || $1 != 0 }
        case .isClose(let rtol, let atol): Compare.run(a, b, out) { $0 == $1 || Swift.abs($0 - $1) <= atol + rtol * Swift.abs($1) }
        }
    }

    public func select(_ mask: Operand, _ a: Operand, _ b: Operand, into out: Operand) {
        check(mask, "where"); check(a, "where"); check(b, "where"); check(out, "where")
        let shape = out.layout.shape
        let loop = StridedLoop(shape: shape, strides: [mask.layout.strides, a.layout.strides, b.layout.strides])
        let n = loop.innerCount, sm = loop.innerStride(0), sa = loop.innerStride(1), sb = loop.innerStride(2)
        let pm = mask.bytes, pa = a.floats, pb = b.floats, po = out.floats
        loop.forEachRow(in: 0..<loop.rowCount) { row, offsets in
            let m = pm + offsets[0], x = pa + offsets[1], y = pb + offsets[2], o = po + row * n
            for i in 0..<n { o[i] = m[i * sm] != 0 ? x[i * sa] : y[i * sb] }
        }
    }

    public func assertElements(of x: Operand, within range: ClosedRange<Float>, _ message: String) {
        check(x, "assert")
        let p = x.floats, n = x.count
        for i in 0..<n where !range.contains(p[i]) { fatalError(message) }
    }

    // MARK: - Reductions

    public func reduce(_ op: ReduceOp, _ x: Operand, outer: Int, n: Int, inner: Int, into out: Operand) {
        check(x, "reduce"); check(out, "reduce")
        if n == 0 {
            out.floats.update(repeating: op == .sum ? 0 : (op == .max ? -.infinity : .infinity), count: out.count)
            return
        }
        Reduce.apply(op, x.floats, outer: outer, n: n, inner: inner, into: out.floats)
    }

    public func cumulativeSum(_ x: Operand, outer: Int, n: Int, inner: Int, reverse: Bool, into out: Operand) {
        check(x, "cumsum"); check(out, "cumsum")
        Reduce.cumsum(x.floats, outer: outer, n: n, inner: inner, reverse: reverse, into: out.floats)
    }

    public func argExtreme(_ x: Operand, outer: Int, n: Int, inner: Int, max: Bool, into out: Operand) {
        check(x, "argmax"); check(out, "argmax")
        Reduce.argExtreme(x.floats, outer: outer, n: n, inner: inner, max: max, into: out.int64s)
    }

    // MARK: - Matrix products

    public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, _ a: Operand, lda: Int, _ b: Operand, ldb: Int,
                     beta: Float, into c: Operand, ldc: Int) {
        check(a, "matmul"); check(b, "matmul"); check(c, "matmul")
        BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.floats, lda: lda, b: b.floats, ldb: ldb,
                   beta: beta, c: c.floats, ldc: ldc)
    }

    public func batchedGemm(m: Int, n: Int, k: Int, alpha: Float, _ a: Operand, transposeA: Bool, lda: Int, _ b: Operand,
                            transposeB: Bool, ldb: Int, into c: Operand) {
        check(a, "matmul"); check(b, "matmul"); check(c, "matmul")
        let batch = Array(c.layout.shape.dropLast(2)), count = batch.reduce(1, *)
        let offsetsA = matrixOffsets(a.layout, batch), offsetsB = matrixOffsets(b.layout, batch)
        let pa = a.floats, pb = b.floats, pc = c.floats
        func product(_ i: Int) {
            BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: pa + offsetsA[i], lda: lda,
                       b: pb + offsetsB[i], ldb: ldb, c: pc + i * m * n, ldc: max(n, 1))
        }
        // Small products (attention's per-head score and context matrices) run side by side on the cores, each
        // on one thread; large ones are split over the threads one after another.
        if count > 1 && m * n * k < BLAS.smallGemmWork {
            Parallel.forRange(count, grain: max(1, (1 << 16) / max(m * n * k, 1))) { range in
                for i in range { product(i) }
            }
        } else {
            for i in 0..<count { product(i) }
        }
    }

    /// The element offset of each matrix of a (batch…, rows, cols) view, batch index in row-major order.
    private func matrixOffsets(_ layout: Layout, _ batch: [Int]) -> [Int] {
        let strides = Array(layout.strides.dropLast(2))
        var offsets = [0]
        offsets.reserveCapacity(batch.reduce(1, *))
        // Row-major order: the last batch axis varies fastest, so extend from the first axis inward.
        for (size, stride) in zip(batch, strides) {
            offsets = offsets.flatMap { base in (0..<size).map { base + $0 * stride } }
        }
        return offsets
    }
}

/// Comparison loops over broadcast float operands into bool bytes. The predicate is a generic
/// closure parameter, specialised per call site.
enum Compare {
    @inline(__always)
    static func run(_ a: Operand, _ b: Operand, _ out: Operand, _ f: (Float, Float) -> Bool) {
        let loop = StridedLoop(shape: out.layout.shape, strides: [a.layout.strides, b.layout.strides])
        let n = loop.innerCount, sx = loop.innerStride(0), sy = loop.innerStride(1)
        let px = a.floats, py = b.floats, po = out.bytes
        loop.forEachRow(in: 0..<loop.rowCount) { row, offsets in
            let o = po + row * n, u = px + offsets[0], v = py + offsets[1]
            for i in 0..<n { o[i] = f(u[i * sx], v[i * sy]) ? 1 : 0 }
        }
    }
}
