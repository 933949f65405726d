// The one rule every shape obeys before a buffer is laid out for it: no stride, offset or byte count
// computed from it can overflow `Int`. Readers apply it to shapes from files; tensor creation to the rest.

/// The byte size of a contiguous array of `shape` with `elementSize`-byte elements, or nil when a
/// dimension is negative or the layout cannot be represented.
///
/// Zero-sized dimensions count as 1 in the overflow check: `[0, 2^32, 2^32]` holds no elements, yet its
/// row-major strides (`2^64`, …) and any later reshape of it overflow, so such a shape is refused too.
/// A shape that passes has every stride and every partial product (of any prefix or suffix) in range.
public func checkedByteCount(shape: [Int], elementSize: Int) -> Int? {
    guard elementSize > 0 else { return nil }
    var span = elementSize       // product of the non-zero dimensions, in bytes: bounds every stride
    var isEmpty = false
    for dim in shape {
        guard dim >= 0 else { return nil }
        if dim == 0 { isEmpty = true; continue }
        let (product, overflow) = span.multipliedReportingOverflow(by: dim)
        guard !overflow else { return nil }
        span = product
    }
    return isEmpty ? 0 : span
}
