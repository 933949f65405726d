// Convolutions as im2col + GEMM: conv2d (stride, padding, dilation, groups), conv1d as a conv2d of
// height 1, and conv_transpose2d, whose forward is conv2d's input-gradient and vice versa.
import CortexEngine

func pair(_ values: [Int], _ name: String, _ op: String) -> (Int, Int) {
    require(values.count == 1 || values.count == 2, "\(op): \(name) must have 1 or 2 values, got \(values)")
    return values.count == 1 ? (values[0], values[0]) : (values[0], values[1])
}

/// 2-D convolution (cross-correlation) over NCHW input with OIHW weights, as
/// torch.nn.functional.conv2d. Output: (N, out, ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1, …).
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1], padding: [Int] = [0],
                   dilation: [Int] = [1], groups: Int = 1) -> Tensor {
    let op = "conv2d"
    input.requireFloat(op); weight.requireFloat(op)
    require(input.rank == 4, "\(op): input must be 4-D (N, C, H, W), got shape \(input.shape)")
    require(weight.rank == 4, "\(op): weight must be 4-D (out, in/groups, kH, kW), got shape \(weight.shape)")
    let (sh, sw) = pair(stride, "stride", op), (ph, pw) = pair(padding, "padding", op), (dh, dw) = pair(dilation, "dilation", op)
    require(sh > 0 && sw > 0 && dh > 0 && dw > 0 && ph >= 0 && pw >= 0, "\(op): stride/dilation must be positive and padding non-negative")
    require(groups > 0 && input.shape[1] % groups == 0 && weight.shape[0] % groups == 0,
                 "\(op): \(groups) groups must divide input channels \(input.shape[1]) and output channels \(weight.shape[0])")
    require(weight.shape[1] * groups == input.shape[1],
                 "\(op): weight shape \(weight.shape) expects \(weight.shape[1] * groups) input channels, input shape \(input.shape) has \(input.shape[1])")
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let outH = (input.shape[2] + 2 * ph - dh * (kh - 1) - 1) / sh + 1
    let outW = (input.shape[3] + 2 * pw - dw * (kw - 1) - 1) / sw + 1
    require(outH > 0 && outW > 0, "\(op): input shape \(input.shape) is too small for kernel \(kh)×\(kw) (dilation \(dh)×\(dw), padding \(ph)×\(pw))")
    if let bias { require(bias.shape == [weight.shape[0]], "\(op): bias shape \(bias.shape) should be [\(weight.shape[0])]") }
    let geo = ConvGeometry(batch: input.shape[0], inChannels: input.shape[1], height: input.shape[2], width: input.shape[3],
                           outChannels: weight.shape[0], groups: groups, kernelH: kh, kernelW: kw,
                           strideH: sh, strideW: sw, padH: ph, padW: pw, dilationH: dh, dilationW: dw, outH: outH, outW: outW)
    let x = input.contiguousStorage(), w = weight.contiguousStorage()
    let out = input.makeOutput([geo.batch, geo.outChannels, outH, outW])
    input.backend.conv2d(geo, input: x.operand, weight: w.operand, bias: bias?.detach().contiguousStorage().operand, into: out.operand)
    let result = out
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    let attributes: [String: OpAttribute] = ["stride": .ints([sh, sw]), "padding": .ints([ph, pw]),
                                             "dilation": .ints([dh, dw]), "groups": .int(groups)]
    return result.recordingGrad(op, attributes: attributes, inputs: inputs) { g in
        let grads = convolutionBackward(geo, x: x, w: w, gradOut: g.contiguousStorage(),
                                        needInput: input.requiresGrad, needWeight: weight.requiresGrad)
        let db = bias?.requiresGrad == true ? g.sum(dims: [0, 2, 3]) : nil
        return bias == nil ? [grads.input, grads.weight] : [grads.input, grads.weight, db]
    }
}

/// Gradients of conv2d with respect to its input (col2im of Wᵀ·gOut) and weight (gOut·colᵀ).
func convolutionBackward(_ geo: ConvGeometry, x: Tensor, w: Tensor, gradOut: Tensor,
                         needInput: Bool, needWeight: Bool) -> (input: Tensor?, weight: Tensor?) {
    let backend = x.backend
    let dx = needInput ? Tensor.zeros(like: x) : nil
    // One weight-gradient accumulator per chunk of samples, summed at the end.
    let partials = needWeight ? Tensor.zeros([backend.convolutionPartialCount(batch: geo.batch)] + w.shape, device: x.device) : nil
    backend.conv2dBackward(geo, input: x.operand, weight: w.operand, gradient: gradOut.operand,
                           inputGradient: dx?.operand, weightPartials: partials?.operand)
    return (dx, partials.map { sumPartials($0, to: w.shape) })
}

/// The weight gradient from per-chunk accumulators (chunks × weight shape).
private func sumPartials(_ partials: Tensor, to shape: [Int]) -> Tensor {
    partials.shape[0] == 1 ? partials.reshaped(shape) : partials.sum(dim: 0)
}

/// 1-D convolution over (N, C, L) input with (out, in/groups, k) weights, as torch.nn.functional.conv1d.
public func conv1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    require(input.rank == 3, "conv1d: input must be 3-D (N, C, L), got shape \(input.shape)")
    require(weight.rank == 3, "conv1d: weight must be 3-D (out, in/groups, k), got shape \(weight.shape)")
    let out = conv2d(input.unsqueezed(2), weight: weight.unsqueezed(2), bias: bias, stride: [1, stride],
                     padding: [0, padding], dilation: [1, dilation], groups: groups)
    return out.squeezed(2)
}

/// Transposed 2-D convolution (the adjoint of conv2d) with weights (in, out/groups, kH, kW), as
/// torch.nn.functional.conv_transpose2d. Output: (H − 1)s − 2p + d(k − 1) + outputPadding + 1.
public func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1], padding: [Int] = [0],
                            outputPadding: [Int] = [0], dilation: [Int] = [1], groups: Int = 1) -> Tensor {
    let op = "conv_transpose2d"
    input.requireFloat(op); weight.requireFloat(op)
    require(input.rank == 4, "\(op): input must be 4-D (N, C, H, W), got shape \(input.shape)")
    require(weight.rank == 4, "\(op): weight must be 4-D (in, out/groups, kH, kW), got shape \(weight.shape)")
    let (sh, sw) = pair(stride, "stride", op), (ph, pw) = pair(padding, "padding", op), (dh, dw) = pair(dilation, "dilation", op)
    let (oph, opw) = pair(outputPadding, "outputPadding", op)
    require(sh > 0 && sw > 0 && dh > 0 && dw > 0 && ph >= 0 && pw >= 0, "\(op): stride/dilation must be positive and padding non-negative")
    require(oph >= 0 && opw >= 0 && (oph < sh || oph < dh) && (opw < sw || opw < dw),
                 "\(op): output padding \(outputPadding) must be smaller than stride or dilation")
    require(groups > 0 && input.shape[1] % groups == 0, "\(op): \(groups) groups must divide input channels \(input.shape[1])")
    require(weight.shape[0] == input.shape[1],
                 "\(op): weight shape \(weight.shape) expects \(weight.shape[0]) input channels, input shape \(input.shape) has \(input.shape[1])")
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let outChannels = weight.shape[1] * groups
    let height = (input.shape[2] - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    let width = (input.shape[3] - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    require(height > 0 && width > 0, "\(op): output would be empty for input shape \(input.shape)")
    if let bias { require(bias.shape == [outChannels], "\(op): bias shape \(bias.shape) should be [\(outChannels)]") }
    // Seen from the output, this is a conv2d whose input is our output and whose output is our input.
    let geo = ConvGeometry(batch: input.shape[0], inChannels: outChannels, height: height, width: width,
                           outChannels: input.shape[1], groups: groups, kernelH: kh, kernelW: kw,
                           strideH: sh, strideW: sw, padH: ph, padW: pw, dilationH: dh, dilationW: dw,
                           outH: input.shape[2], outW: input.shape[3])
    let x = input.contiguousStorage(), w = weight.contiguousStorage()
    let out = Tensor.zeros([geo.batch, outChannels, height, width], device: input.device)
    input.backend.convTranspose2d(geo, input: x.operand, weight: w.operand, into: out.operand)
    var result = out
    if let bias { result = Tensor.binaryKernel(.add, out, bias.reshaped([1, -1, 1, 1]).detach(), name: op) }
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    let attributes: [String: OpAttribute] = ["stride": .ints([sh, sw]), "padding": .ints([ph, pw]), "output_padding": .ints([oph, opw]),
                                             "dilation": .ints([dh, dw]), "groups": .int(groups)]
    return result.recordingGrad(op, attributes: attributes, inputs: inputs) { g in
        let gc = g.contiguousStorage()
        // d input = conv2d(gOut, W); d weight = x_g · im2col(gOut)ᵀ — conv2d's forward and weight-gradient roles swapped.
        let dx = input.requiresGrad ? gc.makeOutput(input.shape) : nil
        let partials = weight.requiresGrad
            ? Tensor.zeros([gc.backend.convolutionPartialCount(batch: geo.batch)] + weight.shape, device: gc.device) : nil
        gc.backend.convTranspose2dBackward(geo, input: x.operand, weight: w.operand, gradient: gc.operand,
                                           inputGradient: dx?.operand, weightPartials: partials?.operand)
        let dw = partials.map { sumPartials($0, to: weight.shape) }
        let db = bias?.requiresGrad == true ? g.sum(dims: [0, 2, 3]) : nil
        return bias == nil ? [dx, dw] : [dx, dw, db]
    }
}
