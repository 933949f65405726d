// Class activation maps: where in an image a convolutional network looked for one class. Grad-CAM weighs a
// feature map's channels by how much the class's output depends on each on average; HiResCAM weighs every
// position by its own gradient, which stays faithful when the head is not global average pooling (a flatten and a
// linear layer, as the demo CNN's). And the bilinear resize that lays such a coarse map over the input.
import CortexCore
import CortexEngine

extension Attribution {
    /// Grad-CAM (Selvaraju et al., 2017): with A = `features`(x) a (N, C, h, w) feature map and y the target
    /// output of `head`(A), ReLU(Σ_c α_c A_c) with α_c the mean of ∂y/∂A_c over the map. Returns (N, h, w), at
    /// the feature map's resolution; `resized(_:to:)` brings it to the input's.
    ///
    /// The network is split in two where the map is taken: for `SmallConvNet`, `features` is its convolutional
    /// blocks and `head` its classifier; any `LayerChain` splits with `prefix(through:)` and `suffix(after:)`.
    public static func gradCAM(features: Model, head: Model, inputs: Tensor, targets: [Int]) -> Tensor {
        let (maps, g) = featureMapGradient(features: features, head: head, inputs: inputs, targets: targets, "Attribution.gradCAM")
        return noGrad { relu((maps * g.mean(dims: [2, 3], keepDim: true)).sum(dim: 1)) }
    }

    /// HiResCAM (Draelos & Carin, 2020): ReLU(Σ_c ∂y/∂A_c ⊙ A_c), each position weighted by its own gradient. Equal
    /// to Grad-CAM when the head averages the map globally; when it is a flatten and a linear layer, Grad-CAM's
    /// averaged weights can point at the background, and HiResCAM shows the positions that actually raised y.
    /// Returns (N, h, w).
    public static func hiResCAM(features: Model, head: Model, inputs: Tensor, targets: [Int]) -> Tensor {
        let (maps, g) = featureMapGradient(features: features, head: head, inputs: inputs, targets: targets, "Attribution.hiResCAM")
        return noGrad { relu((maps * g).sum(dim: 1)) }
    }

    /// A = features(x) (N, C, h, w) and ∂y/∂A for each example's target output y of head(A).
    static func featureMapGradient(features: Model, head: Model, inputs: Tensor, targets: [Int], _ op: String) -> (Tensor, Tensor) {
        let maps = noGrad { features(inputs.detach()) }.detach().requiringGrad()
        require(maps.rank == 4, "\(op): the features must be a (N, C, h, w) map, got shape \(maps.shape)")
        let g = enableGrad { selectedOutputs(head(maps), targets, op).sum().gradients(withRespectTo: [maps])[0] }
        return (maps.detach(), g)
    }

    /// Maps (N, h, w) resized to (N, height, width) by bilinear interpolation with half-pixel centres, as
    /// torch.nn.functional.interpolate(mode="bilinear", align_corners=False).
    public static func resized(_ maps: Tensor, to size: (height: Int, width: Int)) -> Tensor {
        require(maps.rank == 3, "Attribution.resized: maps must be (N, h, w), got shape \(maps.shape)")
        require(size.height > 0 && size.width > 0, "Attribution.resized: the size must be positive, got \(size)")
        let (n, h, w) = (maps.shape[0], maps.shape[1], maps.shape[2])
        let source = maps.detach().scalars
        var out = [Float](repeating: 0, count: n * size.height * size.width)
        // Each output coordinate's source position and its two neighbours with their weights.
        func taps(_ count: Int, _ sourceCount: Int) -> [(Int, Int, Float)] {
            let scale = Float(sourceCount) / Float(count)
            return (0..<count).map { i in
                let position = max((Float(i) + 0.5) * scale - 0.5, 0)
                let low = min(Int(position), sourceCount - 1), high = min(low + 1, sourceCount - 1)
                return (low, high, position - Float(low))
            }
        }
        let rows = taps(size.height, h), columns = taps(size.width, w)
        for k in 0..<n {
            let plane = k * h * w
            for (y, (y0, y1, fy)) in rows.enumerated() {
                for (x, (x0, x1, fx)) in columns.enumerated() {
                    let top = source[plane + y0 * w + x0] * (1 - fx) + source[plane + y0 * w + x1] * fx
                    let bottom = source[plane + y1 * w + x0] * (1 - fx) + source[plane + y1 * w + x1] * fx
                    out[(k * size.height + y) * size.width + x] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return Tensor(out, shape: [n, size.height, size.width], device: maps.device)
    }
}
