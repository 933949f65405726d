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

extension PoolGeometry {
    /// What a trace records: kernel, stride and padding.
    var attributes: [String: OpAttribute] { ["kernel": .ints([kh, kw]), "stride": .ints([sh, sw]), "padding": .ints([ph, pw])] }
}

private func poolGeometry(_ input: Tensor, kernel: [Int], stride: [Int]?, padding: [Int], ceilMode: Bool, op: String) -> PoolGeometry {
    input.requireFloat(op)
    return poolGeometry(input.shape, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, op: op)
}

/// The windows of a pooling over input of `shape` (N, C, H, W) or (C, H, W), checked as the op checks them.
func poolGeometry(_ shape: [Int], kernel: [Int], stride: [Int]?, padding: [Int], ceilMode: Bool, op: String) -> PoolGeometry {
    require(shape.count == 4 || shape.count == 3, "\(op): input must be (N, C, H, W) or (C, H, W), got shape \(shape)")
    let (kh, kw) = pair(kernel, "kernelSize", op)
    let (sh, sw) = pair(stride ?? kernel, "stride", op), (ph, pw) = pair(padding, "padding", op)
    require(kh > 0 && kw > 0 && sh > 0 && sw > 0, "\(op): kernel size and stride must be positive")
    require(ph >= 0 && pw >= 0 && ph * 2 <= kh && pw * 2 <= kw, "\(op): padding \(padding) must be at most half the kernel size \(kernel)")
    let h = shape[shape.count - 2], w = shape[shape.count - 1]
    let oh = pooledSize(h, kernel: kh, stride: sh, padding: ph, ceilMode: ceilMode)
    let ow = pooledSize(w, kernel: kw, stride: sw, padding: pw, ceilMode: ceilMode)
    require(oh > 0 && ow > 0, "\(op): input shape \(shape) is too small for kernel \(kernel)")
    return PoolGeometry(planes: shape.dropLast(2).reduce(1, *), height: h, width: w, outH: oh, outW: ow,
                        kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw)
}

/// Maximum over each kernel window (padding counts as −∞), as torch.nn.functional.max_pool2d.
public func maxPool2d(_ input: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0],
                      ceilMode: Bool = false) -> Tensor {
    let geo = poolGeometry(input, kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, op: "max_pool2d")
    let x = input.contiguousStorage()
    let outShape = Array(input.shape.dropLast(2)) + [geo.outH, geo.outW]
    let out = input.makeOutput(outShape)
    // Flat in-plane index of each maximum, for the backward scatter.
    let argmax = input.makeOutput(outShape, dtype: .int32)
    input.backend.maxPool2d(geo, x.operand, into: out.operand, indices: argmax.operand)
    let inputShape = input.shape
    return out.recordingGrad("max_pool2d", attributes: geo.attributes, inputs: [input]) { g in
        let gc = g.contiguousStorage(), dx = gc.makeOutput(inputShape)
        gc.backend.maxPool2dBackward(geo, gradient: gc.operand, indices: argmax.operand, into: dx.operand)
        return [dx]
    }
}

/// Mean over each kernel window, as torch.nn.functional.avg_pool2d. With `countIncludePad` the
/// divisor counts padded zeros inside the (clipped) window, as PyTorch does.
public func avgPool2d(_ input: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0],
                      ceilMode: Bool = false, countIncludePad: Bool = true) -> Tensor {
    let geo = poolGeometry(input, kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, op: "avg_pool2d")
    let x = input.contiguousStorage()
    let out = input.makeOutput(Array(input.shape.dropLast(2)) + [geo.outH, geo.outW])
    input.backend.avgPool2d(geo, countIncludePad: countIncludePad, x.operand, into: out.operand)
    let inputShape = input.shape
    return out.recordingGrad("avg_pool2d", attributes: geo.attributes, inputs: [input]) { g in
        let gc = g.contiguousStorage(), dx = Tensor.zeros(inputShape, device: gc.device)
        gc.backend.avgPool2dBackward(geo, countIncludePad: countIncludePad, gradient: gc.operand, into: dx.operand)
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
    let geo = PoolGeometry(planes: planes, height: h, width: w, outH: oh, outW: ow, kh: 0, kw: 0, sh: 0, sw: 0, ph: 0, pw: 0)
    let x = input.contiguousStorage()
    let out = input.makeOutput(Array(input.shape.dropLast(2)) + [oh, ow])
    input.backend.adaptiveAvgPool2d(geo, x.operand, into: out.operand)
    let inputShape = input.shape
    return out.recordingGrad(op, attributes: ["output_size": .ints([oh, ow])], inputs: [input]) { g in
        let gc = g.contiguousStorage(), dx = Tensor.zeros(inputShape, device: gc.device)
        gc.backend.adaptiveAvgPool2dBackward(geo, gradient: gc.operand, into: dx.operand)
        return [dx]
    }
}
