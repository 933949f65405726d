// Convolution layers: Conv1d, Conv2d, ConvTranspose2d, with PyTorch's parameter layouts and
// default initialisation (Kaiming uniform, a = √5; bias U(−1/√fan_in, 1/√fan_in)).
import CortexEngine

/// Draws a conv weight and bias the way PyTorch's _ConvNd.reset_parameters does.
private func convolutionParameters(weightShape: [Int], biasCount: Int?, generator: RandomGenerator?) -> (Tensor, Tensor?) {
    let weight = Tensor.zeros(weightShape).requiringGrad()
    Init.kaimingUniform(weight, a: Float(5).squareRoot(), generator: generator)
    guard let biasCount else { return (weight, nil) }
    let bound = 1 / Float(fans(of: weightShape).fanIn).squareRoot()
    return (weight, Tensor.uniform([biasCount], low: -bound, high: bound, generator: generator).requiringGrad())
}

private func checkChannels(_ op: String, _ inChannels: Int, _ outChannels: Int, _ groups: Int) {
    require(inChannels > 0 && outChannels > 0 && groups > 0, "\(op): channel and group counts must be positive")
    require(inChannels % groups == 0 && outChannels % groups == 0,
            "\(op): \(groups) groups must divide both \(inChannels) input and \(outChannels) output channels")
}

/// 2-D convolution over (N, C, H, W), as torch.nn.Conv2d. Weight (out, in/groups, kH, kW).
public final class Conv2d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: [Int], padding: [Int], dilation: [Int], groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1], padding: [Int] = [0],
                dilation: [Int] = [1], groups: Int = 1, bias: Bool = true, generator: RandomGenerator? = nil) {
        checkChannels("Conv2d", inChannels, outChannels, groups)
        let (kh, kw) = pair(kernelSize, "kernelSize", "Conv2d")
        (weight, self.bias) = convolutionParameters(weightShape: [outChannels, inChannels / groups, kh, kw],
                                                    biasCount: bias ? outChannels : nil, generator: generator)
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        super.init()
    }

    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, generator: RandomGenerator? = nil) {
        self.init(inChannels, outChannels, kernelSize: [kernelSize], stride: [stride], padding: [padding],
                  dilation: [dilation], groups: groups, bias: bias, generator: generator)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// 1-D convolution over (N, C, L), as torch.nn.Conv1d. Weight (out, in/groups, k).
public final class Conv1d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int, groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, generator: RandomGenerator? = nil) {
        checkChannels("Conv1d", inChannels, outChannels, groups)
        require(kernelSize > 0, "Conv1d: kernel size must be positive, got \(kernelSize)")
        (weight, self.bias) = convolutionParameters(weightShape: [outChannels, inChannels / groups, kernelSize],
                                                    biasCount: bias ? outChannels : nil, generator: generator)
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        conv1d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Transposed 2-D convolution, as torch.nn.ConvTranspose2d. Weight (in, out/groups, kH, kW).
public final class ConvTranspose2d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int], groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1], padding: [Int] = [0],
                outputPadding: [Int] = [0], dilation: [Int] = [1], groups: Int = 1, bias: Bool = true,
                generator: RandomGenerator? = nil) {
        checkChannels("ConvTranspose2d", inChannels, outChannels, groups)
        let (kh, kw) = pair(kernelSize, "kernelSize", "ConvTranspose2d")
        (weight, self.bias) = convolutionParameters(weightShape: [inChannels, outChannels / groups, kh, kw],
                                                    biasCount: bias ? outChannels : nil, generator: generator)
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
        super.init()
    }

    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            generator: RandomGenerator? = nil) {
        self.init(inChannels, outChannels, kernelSize: [kernelSize], stride: [stride], padding: [padding],
                  outputPadding: [outputPadding], dilation: [dilation], groups: groups, bias: bias, generator: generator)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        convTranspose2d(input, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                        dilation: dilation, groups: groups)
    }
}
