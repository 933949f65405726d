// Spatial pooling over NCHW: max_pool2d (remembering where each maximum came from), avg_pool2d
// and adaptive_avg_pool2d, each with its backward beside it.
import CortexEngine

/// Window geometry along one spatial axis, with PyTorch's output-size rule (ceil mode included).
private func pooledSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int = 1, ceilMode: Bool) -> Int {
    let span = size + 2 * padding - dilation * (kernel - 1) - 1
    var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    // In ceil mode the last window must start inside the input or its left padding.
    if ceilMode && (out - 1) * stride >= size + padding { out -= 1 }
    return out
}

private struct PoolGeometry {
    /// What a trace records: kernel, stride and padding.
    var attributes: [String: OpAttribute] { ["kernel": .ints([kh, kw]), "stride": .ints([sh, sw]), "padding": .ints([ph, pw])] }
    let planes: Int, height: Int, width: Int, outH: Int, outW: Int
    let kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int
}

private func poolGeometry(_ input: Tensor, kernel: [Int], stride: [Int]?, padding: [Int], ceilMode: Bool, op: String) -> PoolGeometry {
    input.requireFloat(op)
    require(input.rank == 4 || input.rank == 3, "\(op): input must be (N, C, H, W) or (C, H, W), got shape \(input.shape)")
    let (kh, kw) = pair(kernel, "kernelSize", op)
    let (sh, sw) = pair(stride ?? kernel, "stride", op), (ph, pw) = pair(padding, "padding", op)
    require(kh > 0 && kw > 0 && sh > 0 && sw > 0, "\(op): kernel size and stride must be positive")
    require(ph >= 0 && pw >= 0 && ph * 2 <= kh && pw * 2 <= kw, "\(op): padding \(padding) must be at most half the kernel size \(kernel)")
    let h = input.shape[input.rank - 2], w = input.shape[input.rank - 1]
    let oh = pooledSize(h, kernel: kh, stride: sh, padding: ph, ceilMode: ceilMode)
    let ow = pooledSize(w, kernel: kw, stride: sw, padding: pw, ceilMode: ceilMode)
    require(oh > 0 && ow > 0, "\(op): input shape \(input.shape) is too small for kernel \(kernel)")
    return PoolGeometry(planes: input.shape.dropLast(2).reduce(1, *), height: h, width: w, outH: oh, outW: ow,
                        kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw)
}

/// Maximum over each kernel window (padding counts as −∞), as torch.nn.functional.max_pool2d.
public func maxPool2d(_ input: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0],
                      ceilMode: Bool = false) -> Tensor {
    let geo = poolGeometry(input, kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, op: "max_pool2d")
    let x = input.contiguousStorage()
    let outShape = Array(input.shape.dropLast(2)) + [geo.outH, geo.outW]
    let out = Tensor(uninitialized: outShape)
    // Flat in-plane index of each maximum, for the backward scatter.
    let argmax = Tensor(uninitialized: outShape, dtype: .int32)
    withExtendedLifetime((x, out, argmax)) {
        let px = x.floatPointer, po = out.floatPointer, pi = argmax.rawPointer.assumingMemoryBound(to: Int32.self)
        // Planes are independent: split them across cores.
        Parallel.forRange(geo.planes, grain: max(1, Parallel.elementwiseGrain / (geo.height * geo.width))) { planes in
        for p in planes {
            let plane = px + p * geo.height * geo.width
            for oy in 0..<geo.outH {
                let y0 = oy * geo.sh - geo.ph
                let ya = max(y0, 0), yb = min(y0 + geo.kh, geo.height)
                for ox in 0..<geo.outW {
                    let x0 = ox * geo.sw - geo.pw
                    let xa = max(x0, 0), xb = min(x0 + geo.kw, geo.width)
                    var best = -Float.infinity, bestIndex = ya * geo.width + xa
                    for y in ya..<yb {
                        for xx in xa..<xb {
                            let v = plane[y * geo.width + xx]
                            if v > best || v.isNaN { best = v; bestIndex = y * geo.width + xx; if v.isNaN { break } }
                        }
                    }
                    let o = (p * geo.outH + oy) * geo.outW + ox
                    po[o] = best
                    pi[o] = Int32(bestIndex)
                }
            }
        }
        }
    }
    let inputShape = input.shape
    return out.recordingGrad("max_pool2d", attributes: geo.attributes, inputs: [input]) { g in
        let gc = g.contiguousStorage(), dx = Tensor.zeros(inputShape)
        withExtendedLifetime((gc, dx, argmax)) {
            let pg = gc.floatPointer, pd = dx.floatPointer, pi = argmax.rawPointer.assumingMemoryBound(to: Int32.self)
            let outPlane = geo.outH * geo.outW, inPlane = geo.height * geo.width
            Parallel.forRange(geo.planes, grain: max(1, Parallel.elementwiseGrain / inPlane)) { planes in
                for p in planes {
                    for o in 0..<outPlane { pd[p * inPlane + Int(pi[p * outPlane + o])] += pg[p * outPlane + o] }
                }
            }
        }
        return [dx]
    }
}

/// Mean over each kernel window, as torch.nn.functional.avg_pool2d. With `countIncludePad` the
/// divisor counts padded zeros inside the (clipped) window, as PyTorch does.
public func avgPool2d(_ input: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0],
                      ceilMode: Bool = false, countIncludePad: Bool = true) -> Tensor {
    let geo = poolGeometry(input, kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, op: "avg_pool2d")
    // Each output's window and divisor, computed once for forward and backward.
    func window(_ oy: Int, _ ox: Int) -> (ya: Int, yb: Int, xa: Int, xb: Int, divisor: Float) {
        let y0 = oy * geo.sh - geo.ph, x0 = ox * geo.sw - geo.pw
        let yEnd = min(y0 + geo.kh, geo.height + geo.ph), xEnd = min(x0 + geo.kw, geo.width + geo.pw)
        let padded = (yEnd - y0) * (xEnd - x0)
        let ya = max(y0, 0), xa = max(x0, 0), yb = min(yEnd, geo.height), xb = min(xEnd, geo.width)
        return (ya, yb, xa, xb, Float(countIncludePad ? padded : (yb - ya) * (xb - xa)))
    }
    let x = input.contiguousStorage()
    let out = Tensor(uninitialized: Array(input.shape.dropLast(2)) + [geo.outH, geo.outW])
    // Planes (image × channel) are independent in both directions, so they are split over the cores.
    let planeGrain = max(1, Parallel.elementwiseGrain / (geo.height * geo.width))
    withFloats(x, out) { px, po in
        Parallel.forRange(geo.planes, grain: planeGrain) { planes in
            for p in planes {
                let plane = px + p * geo.height * geo.width
                for oy in 0..<geo.outH {
                    for ox in 0..<geo.outW {
                        let w = window(oy, ox)
                        var total: Float = 0
                        for y in w.ya..<max(w.yb, w.ya) { for xx in w.xa..<max(w.xb, w.xa) { total += plane[y * geo.width + xx] } }
                        po[(p * geo.outH + oy) * geo.outW + ox] = total / w.divisor
                    }
                }
            }
        }
    }
    let inputShape = input.shape
    return out.recordingGrad("avg_pool2d", attributes: geo.attributes, inputs: [input]) { g in
        let gc = g.contiguousStorage(), dx = Tensor.zeros(inputShape)
        withFloats(gc, dx) { pg, pd in
            Parallel.forRange(geo.planes, grain: planeGrain) { planes in
                for p in planes {
                    let plane = pd + p * geo.height * geo.width
                    for oy in 0..<geo.outH {
                        for ox in 0..<geo.outW {
                            let w = window(oy, ox)
                            let share = pg[(p * geo.outH + oy) * geo.outW + ox] / w.divisor
                            for y in w.ya..<max(w.yb, w.ya) { for xx in w.xa..<max(w.xb, w.xa) { plane[y * geo.width + xx] += share } }
                        }
                    }
                }
            }
        }
        return [dx]
    }
}

/// Averages over PyTorch's adaptive windows [⌊i·H/out⌋, ⌈(i+1)·H/out⌉) so any input size maps to
/// `outputSize`, as torch.nn.functional.adaptive_avg_pool2d.
public func adaptiveAvgPool2d(_ input: Tensor, outputSize: [Int]) -> Tensor {
    let op = "adaptive_avg_pool2d"
    input.requireFloat(op)
    require(input.rank == 4 || input.rank == 3, "\(op): input must be (N, C, H, W) or (C, H, W), got shape \(input.shape)")
    let (oh, ow) = pair(outputSize, "outputSize", op)
    require(oh > 0 && ow > 0, "\(op): output size \(outputSize) must be positive")
    let h = input.shape[input.rank - 2], w = input.shape[input.rank - 1]
    let planes = input.shape.dropLast(2).reduce(1, *)
    func bounds(_ i: Int, _ out: Int, _ size: Int) -> Range<Int> { (i * size / out)..<(((i + 1) * size + out - 1) / out) }
    let x = input.contiguousStorage()
    let out = Tensor(uninitialized: Array(input.shape.dropLast(2)) + [oh, ow])
    withFloats(x, out) { px, po in
        for p in 0..<planes {
            let plane = px + p * h * w
            for oy in 0..<oh {
                let rows = bounds(oy, oh, h)
                for ox in 0..<ow {
                    let cols = bounds(ox, ow, w)
                    var total: Float = 0
                    for y in rows { for xx in cols { total += plane[y * w + xx] } }
                    po[(p * oh + oy) * ow + ox] = total / Float(rows.count * cols.count)
                }
            }
        }
    }
    let inputShape = input.shape
    return out.recordingGrad(op, inputs: [input]) { g in
        let gc = g.contiguousStorage(), dx = Tensor.zeros(inputShape)
        withFloats(gc, dx) { pg, pd in
            for p in 0..<planes {
                let plane = pd + p * h * w
                for oy in 0..<oh {
                    let rows = bounds(oy, oh, h)
                    for ox in 0..<ow {
                        let cols = bounds(ox, ow, w)
                        let share = pg[(p * oh + oy) * ow + ox] / Float(rows.count * cols.count)
                        for y in rows { for xx in cols { plane[y * w + xx] += share } }
                    }
                }
            }
        }
        return [dx]
    }
}
