// Printing tensors the way PyTorch users expect to read them.

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = scalars
        func format(_ v: Float) -> String {
            switch dtype {
            case .bool: return v != 0 ? "true" : "false"
            case .int64, .int32, .uint8: return String(Int(v))
            default: return v == v.rounded() && Swift.abs(v) < 1e7 ? String(format4: v) : "\(v)"
            }
        }
        func render(_ axis: Int, _ start: Int) -> String {
            if axis == rank { return format(values[start]) }
            let n = shape[axis], step = shape[(axis + 1)...].reduce(1, *)
            let shown: [Int] = n > 8 ? Array(0..<3) + [-1] + Array((n - 3)..<n) : Array(0..<n)
            let parts = shown.map { $0 < 0 ? "..." : render(axis + 1, start + $0 * step) }
            return "[" + parts.joined(separator: axis == rank - 1 ? ", " : ",\n" + String(repeating: " ", count: axis + 1)) + "]"
        }
        let body = count == 0 ? "[]" : render(0, 0)
        let grad = gradNode.map { ", grad_fn=\($0.name)" } ?? (requiresGrad ? ", requiresGrad" : "")
        return "Tensor(\(body), shape=\(shape), dtype=\(dtype)\(grad))"
    }
}

private extension String {
    init(format4 v: Float) { self = "\(Int(v))." }
}
