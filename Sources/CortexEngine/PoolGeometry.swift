// The windows of a 2-D pooling as the backend protocol takes them, with the window arithmetic every backend's
// pooling kernels share (PyTorch's clipping, padding and adaptive windows).

/// The windows of one 2-D pooling: planes (image × channel), input and output size, kernel, stride and padding.
public struct PoolGeometry: Sendable {
    public let planes: Int, height: Int, width: Int, outH: Int, outW: Int
    public let kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int

    public init(planes: Int, height: Int, width: Int, outH: Int, outW: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int) {
        (self.planes, self.height, self.width, self.outH, self.outW) = (planes, height, width, outH, outW)
        (self.kh, self.kw, self.sh, self.sw, self.ph, self.pw) = (kh, kw, sh, sw, ph, pw)
    }

    /// An average-pooling window clipped to the input, and its divisor (padding counted or not).
    @inline(__always)
    func window(_ oy: Int, _ ox: Int, countIncludePad: Bool) -> (ya: Int, yb: Int, xa: Int, xb: Int, divisor: Float) {
        let y0 = oy * sh - ph, x0 = ox * sw - pw
        let yEnd = min(y0 + kh, height + ph), xEnd = min(x0 + kw, width + pw)
        let padded = (yEnd - y0) * (xEnd - x0)
        let ya = max(y0, 0), xa = max(x0, 0), yb = max(min(yEnd, height), ya), xb = max(min(xEnd, width), xa)
        return (ya, yb, xa, xb, Float(countIncludePad ? padded : (yb - ya) * (xb - xa)))
    }

    /// PyTorch's adaptive window [⌊i·size/out⌋, ⌈(i+1)·size/out⌉).
    @inline(__always)
    static func adaptive(_ i: Int, _ out: Int, _ size: Int) -> Range<Int> { (i * size / out)..<(((i + 1) * size + out - 1) / out) }
}
