// Walking strided (possibly broadcast) views: dimension collapsing and a row iterator, shared by
// the copy, binary and ternary kernels so each of them only writes its innermost loop.

/// A loop nest over `shape` with one stride list per operand (in elements; 0 = broadcast).
/// Adjacent dimensions that are contiguous for every operand are merged first, so the common cases
/// (same-shape, scalar and row broadcasts) collapse to one or two dimensions.
struct StridedLoop {
    let shape: [Int]
    let strides: [[Int]]

    init(shape: [Int], strides: [[Int]]) {
        require(strides.allSatisfy { $0.count == shape.count }, "StridedLoop: stride rank mismatch")
        var dims: [Int] = []
        var merged: [[Int]] = Array(repeating: [], count: strides.count)
        for axis in shape.indices where shape[axis] != 1 {
            if let last = dims.last,
               strides.indices.allSatisfy({ strides[$0][axis] * shape[axis] == merged[$0].last! }) {
                dims[dims.count - 1] = last * shape[axis]
                for k in strides.indices { merged[k][merged[k].count - 1] = strides[k][axis] }
            } else {
                dims.append(shape[axis])
                for k in strides.indices { merged[k].append(strides[k][axis]) }
            }
        }
        if dims.isEmpty {
            dims = [1]
            merged = merged.map { _ in [1] }
        }
        self.shape = dims
        self.strides = merged
    }

    var count: Int { shape.reduce(1, *) }
    var innerCount: Int { shape.last! }
    var rowCount: Int { innerCount == 0 ? 0 : count / innerCount }
    func innerStride(_ operand: Int) -> Int { strides[operand].last! }

    /// Calls `body(row, offsets)` for each innermost row in `rows`, where `offsets[k]` is operand k's
    /// element offset at the row's start. Offsets are advanced incrementally, not recomputed.
    func forEachRow(in rows: Range<Int>, _ body: (Int, UnsafeBufferPointer<Int>) -> Void) {
        let outerRank = shape.count - 1
        let operands = strides.count
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(outerRank, 1) + operands) { scratch in
            let index = scratch.baseAddress!
            let offsets = scratch.baseAddress! + max(outerRank, 1)
            // Start position: decompose the first row index.
            var remainder = rows.lowerBound
            for k in 0..<operands { offsets[k] = 0 }
            for axis in stride(from: outerRank - 1, through: 0, by: -1) {
                let i = remainder % shape[axis]
                remainder /= shape[axis]
                index[axis] = i
                for k in 0..<operands { offsets[k] += i * strides[k][axis] }
            }
            let view = UnsafeBufferPointer(start: offsets, count: operands)
            for row in rows {
                body(row, view)
                // Odometer increment over the outer axes.
                var axis = outerRank - 1
                while axis >= 0 {
                    index[axis] += 1
                    for k in 0..<operands { offsets[k] += strides[k][axis] }
                    if index[axis] < shape[axis] { break }
                    for k in 0..<operands { offsets[k] -= strides[k][axis] * shape[axis] }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}

enum StridedCopy {
    /// Copies the strided view `source` of `elementSize`-byte elements into the strided view
    /// `destination` (contiguous row-major when `destinationStrides` is nil).
    static func copy(elementSize: Int, shape: [Int], source: UnsafeRawPointer, strides: [Int],
                            destination: UnsafeMutableRawPointer, destinationStrides: [Int]? = nil) {
        let loop = StridedLoop(shape: shape, strides: [strides, destinationStrides ?? contiguousStrides(shape)])
        switch elementSize {
        case 1: run(loop, source.assumingMemoryBound(to: UInt8.self), destination.assumingMemoryBound(to: UInt8.self))
        case 2: run(loop, source.assumingMemoryBound(to: UInt16.self), destination.assumingMemoryBound(to: UInt16.self))
        case 4: run(loop, source.assumingMemoryBound(to: UInt32.self), destination.assumingMemoryBound(to: UInt32.self))
        case 8: run(loop, source.assumingMemoryBound(to: UInt64.self), destination.assumingMemoryBound(to: UInt64.self))
        default: fatalError("StridedCopy: unsupported element size \(elementSize)")
        }
    }

    static func run<T>(_ loop: StridedLoop, _ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
        let n = loop.innerCount, s = loop.innerStride(0), d = loop.innerStride(1)
        let grain = max(1, Parallel.elementwiseGrain / max(n, 1))
        Parallel.forRange(loop.rowCount, grain: grain) { rows in
            loop.forEachRow(in: rows) { _, offsets in
                let from = src + offsets[0], to = dst + offsets[1]
                if s == 1 && d == 1 {
                    to.update(from: from, count: n)
                } else {
                    for i in 0..<n { to[i * d] = from[i * s] }
                }
            }
        }
    }
}

/// Row-major strides of a contiguous tensor of `shape`.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = Array(repeating: 1, count: shape.count)
    var running = 1
    for axis in shape.indices.reversed() {
        strides[axis] = running
        running *= shape[axis]
    }
    return strides
}
