// Pooling layers over (N, C, H, W).

/// Maximum over kernel windows, as torch.nn.MaxPool2d (stride defaults to the kernel size).
public final class MaxPool2d: Module, Layer {
    public let kernelSize: [Int], stride: [Int]?, padding: [Int], ceilMode: Bool
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        self.kernelSize = [kernelSize]
        self.stride = stride.map { [$0] }
        self.padding = [padding]
        self.ceilMode = ceilMode
        super.init()
    }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode)
    }
}

/// Mean over kernel windows, as torch.nn.AvgPool2d (stride defaults to the kernel size).
public final class AvgPool2d: Module, Layer {
    public let kernelSize: [Int], stride: [Int]?, padding: [Int], ceilMode: Bool, countIncludePad: Bool
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        self.kernelSize = [kernelSize]
        self.stride = stride.map { [$0] }
        self.padding = [padding]
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        super.init()
    }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

/// Averages to a fixed output size whatever the input size, as torch.nn.AdaptiveAvgPool2d.
public final class AdaptiveAvgPool2d: Module, Layer {
    public let outputSize: [Int]
    public init(_ outputSize: Int) { self.outputSize = [outputSize]; super.init() }
    public init(_ outputSize: [Int]) { self.outputSize = outputSize; super.init() }
    public func callAsFunction(_ input: Tensor) -> Tensor { adaptiveAvgPool2d(input, outputSize: outputSize) }
}
