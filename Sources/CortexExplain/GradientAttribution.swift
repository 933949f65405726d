// The gradient family of attributions — how much each element of an input moved one output of a model:
// the plain gradient (saliency), gradient × input, integrated gradients and SmoothGrad. Each takes the model as
// a function from a batch of inputs to a batch of outputs, so it works on any differentiable model. Put the
// model in evaluation mode first: BatchNorm's batch statistics and dropout would make one example's
// explanation depend on the others and on chance. Parameter gradients are left untouched
// (`Tensor.gradients(withRespectTo:)`), so explaining a model in the middle of training changes nothing.
import CortexCore
import CortexEngine

/// Explanations of a model's outputs in terms of its inputs.
public enum Attribution {
    /// A model as attributions see it: a batch of inputs (examples along the first axis) to a batch of
    /// outputs, (N, classes) or (N).
    public typealias Model = (Tensor) -> Tensor

    /// ∂ output[i, targets[i]] / ∂ input[i] for each example i, the shape of `inputs`. Its absolute value is
    /// the saliency map of Simonyan, Vedaldi & Zisserman (2014); the signed gradient is what PyTorch's
    /// `torch.autograd.grad` gives for the same output.
    public static func gradient(_ model: Model, inputs: Tensor, targets: [Int]) -> Tensor {
        require(inputs.dtype == .float32, "Attribution: inputs must be float32 to have gradients, got \(inputs.dtype)")
        return enableGrad {
            let x = inputs.detach().requiringGrad()
            let chosen = selectedOutputs(model(x), targets, "Attribution.gradient")
            return chosen.sum().gradients(withRespectTo: [x])[0]
        }
    }

    /// Gradient × input (Shrikumar et al., 2016): the first-order estimate of each element's contribution
    /// relative to an all-zero input.
    public static func gradientTimesInput(_ model: Model, inputs: Tensor, targets: [Int]) -> Tensor {
        let g = gradient(model, inputs: inputs, targets: targets)
        return noGrad { g * inputs.detach() }
    }

    /// Integrated gradients (Sundararajan, Taly & Yan, 2017): (x − baseline) × the mean gradient along the
    /// straight path from the baseline to x, by the midpoint rule with `steps` points. The attributions of an
    /// example sum to f(x) − f(baseline) as the steps grow (completeness); the result reports how far they
    /// are from it.
    ///
    /// - Parameters:
    ///   - model: the model to explain, in evaluation mode.
    ///   - inputs: the examples, batched along the first axis.
    ///   - targets: for each example, the class whose score is explained.
    ///   - baseline: one example's shape (shared by all) or the inputs' shape; zeros by default.
    ///   - steps: points on the path from the baseline to each input.
    ///   - batchSize: path points evaluated per forward pass.
    public static func integratedGradients(_ model: Model, inputs: Tensor, targets: [Int], baseline: Tensor? = nil,
                                           steps: Int = 64, batchSize: Int = 256) -> IntegratedGradients {
        let op = "Attribution.integratedGradients"
        require(steps >= 1 && batchSize >= 1, "\(op): steps and batchSize must be positive, got \(steps) and \(batchSize)")
        require(inputs.rank >= 1 && inputs.shape[0] == targets.count, "\(op): \(targets.count) targets for inputs of shape \(inputs.shape)")
        let n = inputs.shape[0], exampleShape = Array(inputs.shape.dropFirst())
        let x = inputs.detach()
        let base: Tensor
        if let baseline {
            require(baseline.shape == exampleShape || baseline.shape == inputs.shape,
                    "\(op): baseline shape \(baseline.shape) is neither one example's \(exampleShape) nor the inputs' \(inputs.shape)")
            base = baseline.shape == inputs.shape ? baseline.detach() : baseline.detach().unsqueezed(0).expanded(to: inputs.shape).contiguous()
        } else {
            base = Tensor.zeros(inputs.shape, device: inputs.device)
        }
        let delta = noGrad { x - base }
        // Every (example, step) pair is one row of a long batch, cut into forward passes of `batchSize`.
        let alphas = (0..<steps).map { (Float($0) + 0.5) / Float(steps) }
        var gradientSums: [Tensor] = []
        for i in 0..<n {
            let bi = base.sliced(0, start: i, end: i + 1), di = delta.sliced(0, start: i, end: i + 1)
            var sum: Tensor?
            for start in stride(from: 0, to: steps, by: batchSize) {
                let chunk = Array(alphas[start..<min(start + batchSize, steps)])
                let scale = Tensor(chunk, shape: [chunk.count] + exampleShape.map { _ in 1 }, device: inputs.device)
                let points = noGrad { bi + di * scale }
                let g = gradient(model, inputs: points, targets: Array(repeating: targets[i], count: chunk.count))
                let part = noGrad { g.sum(dim: 0, keepDim: true) }
                sum = sum.map { s in noGrad { s + part } } ?? part
            }
            gradientSums.append(sum!)
        }
        let attributions = noGrad { Tensor.cat(gradientSums) * delta * (1 / Float(steps)) }
        let ends = noGrad { (selectedOutputs(model(x), targets, op), selectedOutputs(model(base), targets, op)) }
        let difference = noGrad { ends.0 - ends.1 }.scalars
        let totals = noGrad { attributions.reshaped([n, -1]).sum(dim: 1) }.scalars
        return IntegratedGradients(attributions: attributions, outputDifference: difference, attributionSum: totals)
    }

    /// SmoothGrad (Smilkov et al., 2017): the gradient averaged over `samples` copies of each input with
    /// Gaussian noise of standard deviation `noiseLevel` × (that example's max − min) added, which removes
    /// the gradient's pixel-scale noise.
    public static func smoothGrad(_ model: Model, inputs: Tensor, targets: [Int], samples: Int = 25, noiseLevel: Float = 0.15,
                                  generator: RandomGenerator) -> Tensor {
        let op = "Attribution.smoothGrad"
        require(samples >= 1 && noiseLevel >= 0, "\(op): samples must be positive and noiseLevel non-negative")
        require(inputs.rank >= 1 && inputs.shape[0] == targets.count, "\(op): \(targets.count) targets for inputs of shape \(inputs.shape)")
        let n = inputs.shape[0], exampleShape = Array(inputs.shape.dropFirst())
        let x = inputs.detach()
        let spread = noGrad { (x.reshaped([n, -1]).amax(dim: 1) - x.reshaped([n, -1]).amin(dim: 1)) * noiseLevel }
            .reshaped([n] + exampleShape.map { _ in 1 })
        var total: Tensor?
        for _ in 0..<samples {
            let noisy = noGrad { x + Tensor.randn(inputs.shape, generator: generator, device: inputs.device) * spread }
            let g = gradient(model, inputs: noisy, targets: targets)
            total = total.map { t in noGrad { t + g } } ?? g
        }
        return noGrad { total! * (1 / Float(samples)) }
    }
}

/// Integrated gradients with the check on their completeness.
public struct IntegratedGradients {
    /// The shape of the inputs.
    public let attributions: Tensor
    /// f(x) − f(baseline) for each example.
    public let outputDifference: [Float]
    /// Σ attributions for each example; completeness says it equals `outputDifference`.
    public let attributionSum: [Float]

    /// |Σ attributions − (f(x) − f(baseline))| / |f(x) − f(baseline)| for each example (0 where the two
    /// outputs are equal and the sum is zero too).
    public var completenessError: [Float] {
        zip(attributionSum, outputDifference).map { sum, difference in
            let gap = abs(sum - difference)
            return difference == 0 ? (gap == 0 ? 0 : .infinity) : gap / abs(difference)
        }
    }
}

/// For each example, the output column an attribution explains: (N, classes) → (N). A model with one output
/// per example ((N) or (N, 1)) takes target 0.
func selectedOutputs(_ outputs: Tensor, _ targets: [Int], _ op: String) -> Tensor {
    require(outputs.rank >= 1, "\(op): the model returned a scalar; it must return one row per example")
    let n = outputs.shape[0]
    require(targets.count == n, "\(op): \(targets.count) targets for \(n) examples")
    let columns = outputs.count / max(n, 1)
    var mask = [Float](repeating: 0, count: n * columns)
    for (i, target) in targets.enumerated() {
        require(target >= 0 && target < columns, "\(op): target \(target) of example \(i) is outside the model's \(columns) outputs")
        mask[i * columns + target] = 1
    }
    return (outputs.reshaped([n, columns]) * Tensor(mask, shape: [n, columns], device: outputs.device)).sum(dim: 1)
}
