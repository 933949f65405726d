// Occlusion: the attribution that needs no gradient — cover part of the image and see how far the output falls.
import CortexCore
import CortexEngine

extension Attribution {
    /// Occlusion (Zeiler & Fergus, 2014): a `window` × `window` patch of `baseline` (all channels) slides over
    /// each image of (N, C, H, W) in steps of `stride`; each pixel's attribution is the mean fall of the target
    /// output over the patches that cover it (positive: hiding the pixel lowers the output). Returns (N, H, W).
    /// Pixels no patch covers (where the stride skips the edge) get 0.
    public static func occlusion(_ model: Model, inputs: Tensor, targets: [Int], window: Int = 4, stride: Int = 2,
                                 baseline: Float = 0, batchSize: Int = 256) -> Tensor {
        let op = "Attribution.occlusion"
        require(inputs.rank == 4, "\(op): inputs must be images (N, C, H, W), got shape \(inputs.shape)")
        let (n, c, h, w) = (inputs.shape[0], inputs.shape[1], inputs.shape[2], inputs.shape[3])
        require(targets.count == n, "\(op): \(targets.count) targets for \(n) images")
        require(window >= 1 && window <= min(h, w) && stride >= 1 && batchSize >= 1,
                "\(op): the window (\(window)) must fit the \(h)×\(w) image, and stride and batchSize must be positive")
        let corners = Swift.stride(from: 0, through: h - window, by: stride).flatMap { y in
            Swift.stride(from: 0, through: w - window, by: stride).map { x in (y, x) }
        }
        let values = inputs.detach().scalars, size = c * h * w
        let original = noGrad { selectedOutputs(model(inputs.detach()), targets, op) }.scalars
        var out = [Float](repeating: 0, count: n * h * w)
        for k in 0..<n {
            let image = Array(values[k * size..<(k + 1) * size])
            var falls: [Float] = []
            for start in Swift.stride(from: 0, to: corners.count, by: batchSize) {
                let chunk = corners[start..<min(start + batchSize, corners.count)]
                var batch = [Float](); batch.reserveCapacity(chunk.count * size)
                for (y0, x0) in chunk {
                    var covered = image
                    for channel in 0..<c {
                        for y in y0..<(y0 + window) {
                            let row = (channel * h + y) * w
                            for x in x0..<(x0 + window) { covered[row + x] = baseline }
                        }
                    }
                    batch += covered
                }
                let occluded = Tensor(batch, shape: [chunk.count, c, h, w], device: inputs.device)
                let scores = noGrad { selectedOutputs(model(occluded), Array(repeating: targets[k], count: chunk.count), op) }.scalars
                falls += scores.map { original[k] - $0 }
            }
            var sum = [Float](repeating: 0, count: h * w), count = [Float](repeating: 0, count: h * w)
            for ((y0, x0), fall) in zip(corners, falls) {
                for y in y0..<(y0 + window) {
                    for x in x0..<(x0 + window) { sum[y * w + x] += fall; count[y * w + x] += 1 }
                }
            }
            for i in 0..<(h * w) where count[i] > 0 { out[k * h * w + i] = sum[i] / count[i] }
        }
        return Tensor(out, shape: [n, h, w], device: inputs.device)
    }
}
