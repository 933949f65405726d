// Pooling kernels on the CPU over (planes, H, W) float data; planes are independent, so they are split
// across the cores in both directions.
import CCortexKernels

extension PoolGeometry {
    /// Planes per parallel chunk, so that each chunk has an element-wise grain of work.
    var planeGrain: Int { max(1, Parallel.elementwiseGrain / max(height * width, 1)) }
}

extension CPUBackend {
    public func maxPool2d(_ geo: PoolGeometry, _ x: Operand, into out: Operand, indices: Operand) {
        check(x, "max_pool2d"); check(out, "max_pool2d"); check(indices, "max_pool2d")
        require(indices.dtype == .int32, "max_pool2d: indices must be int32")
        let px = x.floats, po = out.floats, pi = indices.raw.assumingMemoryBound(to: Int32.self)
        Parallel.forRange(geo.planes, grain: geo.planeGrain) { planes in
            let first = planes.lowerBound, inPlane = geo.height * geo.width, outPlane = geo.outH * geo.outW
            ck_max_pool2d(px + first * inPlane, po + first * outPlane, pi + first * outPlane, planes.count, geo.height, geo.width,
                          geo.outH, geo.outW, geo.kh, geo.kw, geo.sh, geo.sw, geo.ph, geo.pw)
        }
    }

    /// Writes every element of `into`: zero, plus each output gradient where its maximum came from.
    public func maxPool2dBackward(_ geo: PoolGeometry, gradient: Operand, indices: Operand, into: Operand) {
        check(gradient, "max_pool2d backward"); check(indices, "max_pool2d backward"); check(into, "max_pool2d backward")
        let pg = gradient.floats, pd = into.floats, pi = indices.raw.assumingMemoryBound(to: Int32.self)
        let outPlane = geo.outH * geo.outW, inPlane = geo.height * geo.width
        Parallel.forRange(geo.planes, grain: geo.planeGrain) { planes in
            let first = planes.lowerBound
            ck_max_pool2d_backward(pg + first * outPlane, pi + first * outPlane, pd + first * inPlane, planes.count, inPlane, outPlane)
        }
    }

    public func avgPool2d(_ geo: PoolGeometry, countIncludePad: Bool, _ x: Operand, into out: Operand) {
        check(x, "avg_pool2d"); check(out, "avg_pool2d")
        let px = x.floats, po = out.floats
        Parallel.forRange(geo.planes, grain: geo.planeGrain) { planes in
            for p in planes {
                let plane = px + p * geo.height * geo.width
                for oy in 0..<geo.outH {
                    for ox in 0..<geo.outW {
                        let w = geo.window(oy, ox, countIncludePad: countIncludePad)
                        var total: Float = 0
                        for y in w.ya..<w.yb { for xx in w.xa..<w.xb { total += plane[y * geo.width + xx] } }
                        po[(p * geo.outH + oy) * geo.outW + ox] = total / w.divisor
                    }
                }
            }
        }
    }

    /// Spreads each output gradient evenly over its window, into zero-filled `into`.
    public func avgPool2dBackward(_ geo: PoolGeometry, countIncludePad: Bool, gradient: Operand, into: Operand) {
        check(gradient, "avg_pool2d backward"); check(into, "avg_pool2d backward")
        let pg = gradient.floats, pd = into.floats
        Parallel.forRange(geo.planes, grain: geo.planeGrain) { planes in
            for p in planes {
                let plane = pd + p * geo.height * geo.width
                for oy in 0..<geo.outH {
                    for ox in 0..<geo.outW {
                        let w = geo.window(oy, ox, countIncludePad: countIncludePad)
                        let share = pg[(p * geo.outH + oy) * geo.outW + ox] / w.divisor
                        for y in w.ya..<w.yb { for xx in w.xa..<w.xb { plane[y * geo.width + xx] += share } }
                    }
                }
            }
        }
    }

    public func adaptiveAvgPool2d(_ geo: PoolGeometry, _ x: Operand, into out: Operand) {
        check(x, "adaptive_avg_pool2d"); check(out, "adaptive_avg_pool2d")
        let px = x.floats, po = out.floats, h = geo.height, w = geo.width, oh = geo.outH, ow = geo.outW
        Parallel.forRange(geo.planes, grain: geo.planeGrain) { planes in
            for p in planes {
                let plane = px + p * h * w
                for oy in 0..<oh {
                    let rows = PoolGeometry.adaptive(oy, oh, h)
                    for ox in 0..<ow {
                        let cols = PoolGeometry.adaptive(ox, ow, w)
                        var total: Float = 0
                        for y in rows { for xx in cols { total += plane[y * w + xx] } }
                        po[(p * oh + oy) * ow + ox] = total / Float(rows.count * cols.count)
                    }
                }
            }
        }
    }

    public func adaptiveAvgPool2dBackward(_ geo: PoolGeometry, gradient: Operand, into: Operand) {
        check(gradient, "adaptive_avg_pool2d backward"); check(into, "adaptive_avg_pool2d backward")
        let pg = gradient.floats, pd = into.floats, h = geo.height, w = geo.width, oh = geo.outH, ow = geo.outW
        Parallel.forRange(geo.planes, grain: geo.planeGrain) { planes in
            for p in planes {
                let plane = pd + p * h * w
                for oy in 0..<oh {
                    let rows = PoolGeometry.adaptive(oy, oh, h)
                    for ox in 0..<ow {
                        let cols = PoolGeometry.adaptive(ox, ow, w)
                        let share = pg[(p * oh + oy) * ow + ox] / Float(rows.count * cols.count)
                        for y in rows { for xx in cols { plane[y * w + xx] += share } }
                    }
                }
            }
        }
    }
}
