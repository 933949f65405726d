// The geometry of a 2-D convolution as the backend protocol takes it: what every backend's convolution kernels
// need to know, checked once by the op.

/// The geometry of one 2-D convolution, checked once by the op and shared by forward and backward.
public struct ConvGeometry: Sendable {
    public let batch: Int, inChannels: Int, height: Int, width: Int
    public let outChannels: Int, groups: Int, kernelH: Int, kernelW: Int
    public let strideH: Int, strideW: Int, padH: Int, padW: Int, dilationH: Int, dilationW: Int
    /// Spatial size of the conv2d output (for conv_transpose2d: of its input).
    public let outH: Int, outW: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, groups: Int, kernelH: Int, kernelW: Int,
                strideH: Int, strideW: Int, padH: Int, padW: Int, dilationH: Int, dilationW: Int, outH: Int, outW: Int) {
        (self.batch, self.inChannels, self.height, self.width) = (batch, inChannels, height, width)
        (self.outChannels, self.groups, self.kernelH, self.kernelW) = (outChannels, groups, kernelH, kernelW)
        (self.strideH, self.strideW, self.padH, self.padW, self.dilationH, self.dilationW) = (strideH, strideW, padH, padW, dilationH, dilationW)
        (self.outH, self.outW) = (outH, outW)
    }

    public var inPerGroup: Int { inChannels / groups }
    public var outPerGroup: Int { outChannels / groups }
    /// Rows of the im2col matrix of one group: (C/groups)·kh·kw.
    public var patch: Int { inPerGroup * kernelH * kernelW }
    public var outPlane: Int { outH * outW }
    public var inPlane: Int { height * width }
}
