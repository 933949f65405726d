// A model planned once for inference, the counterpart of an ONNX Runtime session: each convolution block
// (convolution, batch norm folded into it, ReLU, max pooling) and each dense layer (with its ReLU) is one
// backend call into buffers kept between calls, weights are copied — convolution weights packed for the
// GEMM — when the plan is made, and nothing is recorded for autograd. Between convolutions the activations
// stay channels-last, so pooling and the next patch gather run along contiguous channels; the first dense
// layer after them takes its weight columns in that order. For batch-1 serving, where the eager path's
// per-op bookkeeping, repacking and layout changes cost more than the arithmetic.
import CortexEngine

public enum InferencePlanError: Error, CustomStringConvertible {
    case unsupported(String)

    public var description: String {
        switch self { case .unsupported(let why): "inference plan: \(why)" }
    }
}

/// Not for concurrent calls: one plan reuses its intermediate buffers; give each thread its own.
public final class InferencePlan {
    struct Dense {
        let weight: Tensor, bias: Tensor?
        var relu: Bool
        var inFeatures: Int { weight.shape[1] }
        var outFeatures: Int { weight.shape[0] }
    }

    struct ConvolutionBlock {
        /// The convolution of one sample; each call sets the batch.
        let geometry: ConvGeometry
        var pool: PoolGeometry?
        var relu: Bool
        let packedWeight: Tensor, bias: Tensor?
        /// (out, kH·kW·in) in patch order, kept until the plan is made so that a batch norm can fold into it.
        var weight: Tensor?
        var outputShape: [Int] { pool.map { [$0.outH, $0.outW, geometry.outChannels] } ?? [geometry.outH, geometry.outW, geometry.outChannels] }

        func withBatch(_ batch: Int) -> ConvGeometry {
            let g = geometry
            return ConvGeometry(batch: batch, inChannels: g.inChannels, height: g.height, width: g.width, outChannels: g.outChannels,
                                groups: 1, kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW,
                                padH: g.padH, padW: g.padW, dilationH: g.dilationH, dilationW: g.dilationW, outH: g.outH, outW: g.outW)
        }
    }

    enum Step {
        case dense(Dense)
        case convolution(ConvolutionBlock)

        /// One sample's output shape (channels-last after a convolution).
        var outputShape: [Int] {
            switch self {
            case .dense(let d): [d.outFeatures]
            case .convolution(let c): c.outputShape
            }
        }
    }

    let steps: [Step]
    /// One sample's shape: (features) for a dense chain, (channels, height, width) for a convolutional model.
    public let sampleShape: [Int]
    public let outFeatures: Int
    /// Outputs of every step but the last, and each convolution's scratch, for the last batch size seen.
    private var buffers: (batch: Int, device: Device?, outputs: [Tensor], scratch: [Tensor?]) = (0, nil, [], [])

    /// Plans `model`, whose modules run in order as a chain of Conv2d (groups 1), BatchNorm2d (after a Conv2d),
    /// ReLU, MaxPool2d (after a Conv2d), Flatten, Linear, BatchNorm1d (after a Linear) and Dropout (identity in
    /// inference). `sampleShape` is one sample's input shape: (channels, height, width) is needed when the model
    /// starts with a convolution; a dense chain takes its features from the first Linear. The plan copies the
    /// parameters when it is made (plan again after more training). It checks itself against `model` on a random
    /// input and throws when they differ: a model that is not such a chain (a custom forward), or one still in
    /// training mode with dropout or batch statistics.
    public init(_ model: some Module & Layer, sampleShape: [Int]? = nil) throws {
        var steps: [Step] = []
        // The shape each module receives, one sample: (C, H, W) channels-first before any convolution,
        // (H, W, C) channels-last after one; nil while unknown (a dense chain given no sample shape).
        var shape = sampleShape
        var channelsLast = false
        // A Flatten after a convolution: the next Linear reads (H, W, C) order where the model reads (C, H, W).
        var flattenedImage: (c: Int, h: Int, w: Int)?

        for (index, module) in model.modules().enumerated() where module.namedChildren().isEmpty {
            let what = "module \(index) (\(type(of: module)))"
            switch module {
            case let conv as Conv2d:
                guard let s = shape, s.count == 3 else {
                    throw InferencePlanError.unsupported("\(what) needs image input: give sampleShape (channels, height, width)")
                }
                let (c, h, w) = channelsLast ? (s[2], s[0], s[1]) : (s[0], s[1], s[2])
                let block = try Self.convolution(conv, channels: c, height: h, width: w, what: what)
                steps.append(.convolution(block))
                shape = block.outputShape
                channelsLast = true
            case let norm as BatchNorm:
                guard let last = steps.last else { throw InferencePlanError.unsupported("\(what) does not follow a Conv2d or Linear") }
                steps[steps.count - 1] = try Self.fold(norm, into: last, what: what)
            case is ReLU:
                switch steps.last {
                case .dense(var d)? where !d.relu:
                    d.relu = true
                    steps[steps.count - 1] = .dense(d)
                case .convolution(var c)? where !c.relu:
                    // After the pool as before it: max then ReLU equals ReLU then max.
                    c.relu = true
                    steps[steps.count - 1] = .convolution(c)
                default:
                    throw InferencePlanError.unsupported("\(what) does not follow a Conv2d or Linear")
                }
            case let pool as MaxPool2d:
                guard case .convolution(var c)? = steps.last, c.pool == nil else {
                    throw InferencePlanError.unsupported("\(what) does not follow a Conv2d")
                }
                let g = c.geometry
                c.pool = poolGeometry([g.outChannels, g.outH, g.outW], kernel: pool.kernelSize, stride: pool.stride, padding: pool.padding,
                                      ceilMode: pool.ceilMode, op: "MaxPool2d")
                steps[steps.count - 1] = .convolution(c)
                shape = c.outputShape
            case let flatten as Flatten:
                guard flatten.startDim == 1 && (flatten.endDim == -1 || flatten.endDim == 3) else {
                    throw InferencePlanError.unsupported("\(what) flattens other axes than all but the batch")
                }
                if channelsLast, let s = shape { flattenedImage = (s[2], s[0], s[1]) }
                shape = shape.map { [$0.reduce(1, *)] }
                channelsLast = false
            case let linear as Linear:
                let inFeatures = linear.weight.shape[1]
                if let s = shape, s.reduce(1, *) != inFeatures || (s.count != 1 && !steps.isEmpty) {
                    throw InferencePlanError.unsupported("\(what) takes \(inFeatures) features, it is given \(s)")
                }
                var weight = linear.weight.detach().copied()
                if let image = flattenedImage {
                    weight = weight.reshaped([weight.shape[0], image.c, image.h, image.w]).permuted([0, 2, 3, 1]).contiguous()
                        .reshaped([weight.shape[0], inFeatures])
                    flattenedImage = nil
                }
                steps.append(.dense(Dense(weight: weight, bias: linear.bias?.detach().copied(), relu: false)))
                shape = [linear.weight.shape[0]]
            case is Dropout:
                continue
            default:
                throw InferencePlanError.unsupported("\(what) is not Conv2d, BatchNorm, ReLU, MaxPool2d, Flatten, Linear or Dropout")
            }
        }
        guard let firstStep = steps.first else { throw InferencePlanError.unsupported("the model has no Conv2d or Linear layer") }
        guard case .dense(let last) = steps.last! else {
            throw InferencePlanError.unsupported("the model ends in a convolution block: end it with Flatten and Linear")
        }
        if case .dense(let first) = firstStep, sampleShape == nil {
            self.sampleShape = [first.inFeatures]
        } else {
            self.sampleShape = sampleShape ?? []
        }
        // The unpacked convolution weights were kept only for batch-norm folding.
        self.steps = steps.map { step in
            guard case .convolution(var c) = step else { return step }
            c.weight = nil
            return .convolution(c)
        }
        outFeatures = last.outFeatures

        let device = Self.device(of: steps)
        let probe = Tensor.randn([2] + self.sampleShape, generator: RandomGenerator(seed: 7), device: device)
        let eager = noGrad { model(probe) }
        guard eager.shape == [2, outFeatures], eager.allClose(self(probe), rtol: 1e-4, atol: 1e-4) else {
            throw InferencePlanError.unsupported("\(type(of: model)) computes something else than its chain of layers (a custom forward, or dropout or batch statistics in training mode)")
        }
    }

    private static func device(of steps: [Step]) -> Device {
        switch steps[0] {
        case .dense(let d): d.weight.device
        case .convolution(let c): c.packedWeight.device
        }
    }

    /// The convolution's weight reordered to (out, kH, kW, in) — the patch order of a channels-last gather — and packed.
    private static func convolution(_ conv: Conv2d, channels: Int, height: Int, width: Int, what: String) throws -> ConvolutionBlock {
        guard conv.groups == 1 else { throw InferencePlanError.unsupported("\(what) has \(conv.groups) groups; the plan runs groups of 1") }
        let (outChannels, inChannels, kh, kw) = (conv.weight.shape[0], conv.weight.shape[1], conv.weight.shape[2], conv.weight.shape[3])
        guard inChannels == channels else { throw InferencePlanError.unsupported("\(what) takes \(inChannels) channels, it is given \(channels)") }
        let (sh, sw) = pair(conv.stride, "stride", "Conv2d"), (ph, pw) = pair(conv.padding, "padding", "Conv2d")
        let (dh, dw) = pair(conv.dilation, "dilation", "Conv2d")
        let outH = (height + 2 * ph - dh * (kh - 1) - 1) / sh + 1, outW = (width + 2 * pw - dw * (kw - 1) - 1) / sw + 1
        guard outH > 0 && outW > 0 else { throw InferencePlanError.unsupported("\(what): a \(height)×\(width) input is too small for it") }
        let geometry = ConvGeometry(batch: 1, inChannels: inChannels, height: height, width: width, outChannels: outChannels, groups: 1,
                                    kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, padH: ph, padW: pw, dilationH: dh, dilationW: dw,
                                    outH: outH, outW: outW)
        let weight = noGrad { conv.weight.detach().permuted([0, 2, 3, 1]).contiguous().reshaped([outChannels, kh * kw * inChannels]).copied() }
        return ConvolutionBlock(geometry: geometry, pool: nil, relu: false, packedWeight: pack(weight), bias: conv.bias?.detach().copied(),
                                weight: weight)
    }

    private static func pack(_ weight: Tensor) -> Tensor {
        let (n, k) = (weight.shape[0], weight.shape[1])
        let packed = weight.makeOutput([weight.backend.packedWeightCount(k: k, n: n)])
        weight.backend.packWeight(weight.operand, k: k, n: n, into: packed.operand)
        return packed
    }

    /// A batch norm in inference folded into the layer before it: w·γ/√(var + ε) per output, and
    /// (b − mean)·γ/√(var + ε) + β. Only right before a ReLU or pool is applied, which it does not commute with.
    private static func fold(_ norm: BatchNorm, into step: Step, what: String) throws -> Step {
        let (mean, variance) = (norm.runningMean.detach(), norm.runningVar.detach())
        let scale = noGrad { (variance + norm.eps).rsqrt() * (norm.weight?.detach() ?? Tensor.ones(mean.shape, device: mean.device)) }
        func shift(_ bias: Tensor?) -> Tensor {
            noGrad { ((bias ?? Tensor.zeros(mean.shape, device: mean.device)) - mean) * scale + (norm.bias?.detach() ?? Tensor.zeros(mean.shape, device: mean.device)) }
        }
        switch step {
        case .dense(let d) where !d.relu && norm is BatchNorm1d && d.outFeatures == mean.count:
            return .dense(Dense(weight: noGrad { d.weight * scale.reshaped([-1, 1]) }, bias: shift(d.bias), relu: false))
        case .convolution(let c) where !c.relu && c.pool == nil && norm is BatchNorm2d && c.geometry.outChannels == mean.count:
            let weight = noGrad { c.weight! * scale.reshaped([-1, 1]) }
            return .convolution(ConvolutionBlock(geometry: c.geometry, pool: nil, relu: false, packedWeight: pack(weight), bias: shift(c.bias),
                                                 weight: weight))
        default:
            throw InferencePlanError.unsupported("\(what) does not directly follow a Conv2d (BatchNorm2d) or Linear (BatchNorm1d) of as many channels")
        }
    }

    /// The model's output for `input`: (batch,) + `sampleShape` — for a dense chain, any shape whose trailing
    /// axes hold `sampleShape`'s features per row.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.requireFloat("inference plan")
        let perSample = sampleShape.reduce(1, *)
        let batch: Int
        if case .convolution = steps[0] {
            require(input.rank == 4 && Array(input.shape.dropFirst()) == sampleShape && input.shape[0] > 0,
                    "inference plan: input shape \(input.shape) is not (batch, \(sampleShape.map(String.init).joined(separator: ", ")))")
            batch = input.shape[0]
        } else {
            batch = input.rank == 0 ? 0 : input.count / max(perSample, 1)
            require(input.rank >= 1 && batch * perSample == input.count && batch > 0,
                    "inference plan: input shape \(input.shape) does not hold rows of \(perSample) features")
        }
        let x = input.detach()
        // Intermediate results live in buffers kept from the last call of the same batch size; the result is new.
        if buffers.batch != batch || buffers.device != x.device {
            buffers = (batch, x.device, steps.dropLast().map { x.makeOutput([batch] + $0.outputShape) },
                       steps.map { step in
                           guard case .convolution(let c) = step else { return nil }
                           return x.makeOutput([x.backend.convolutionBlockScratchCount(c.withBatch(batch), pool: c.pool)])
                       })
        }
        var current = x
        for (index, step) in steps.enumerated() {
            let out = index < buffers.outputs.count ? buffers.outputs[index] : x.makeOutput([batch] + step.outputShape)
            switch step {
            case .dense(let d):
                let rows = current.contiguousStorage()
                x.backend.denseForward(rows: batch, inFeatures: d.inFeatures, outFeatures: d.outFeatures, input: rows.operand,
                                       weight: d.weight.operand, bias: d.bias?.operand, relu: d.relu, into: out.operand)
            case .convolution(let c):
                // The caller's NCHW input goes in as a channels-last view; later blocks' outputs are channels-last already.
                let image = index == 0 ? current.permuted([0, 2, 3, 1]) : current
                x.backend.convolutionBlock(c.withBatch(batch), pool: c.pool, relu: c.relu, input: image.operand,
                                           packedWeight: c.packedWeight.operand, bias: c.bias?.operand,
                                           scratch: buffers.scratch[index]!.operand, into: out.operand)
            }
            current = out
        }
        return current
    }
}
