// A chain of dense layers planned once for inference: each Linear (with the ReLU after it, when there is one)
// is one backend call — bias, GEMM (for one row, a matrix-vector product split over the cores by output
// columns) and ReLU — into buffers kept between calls, and nothing is recorded for autograd. For batch-1
// serving, where the per-op bookkeeping of the eager path is a quarter of the time.
import CortexEngine

public enum InferencePlanError: Error, CustomStringConvertible {
    case unsupported(String)

    public var description: String {
        switch self { case .unsupported(let why): "inference plan: \(why)" }
    }
}

/// Not for concurrent calls: one plan reuses its intermediate buffers; give each thread its own.
public final class DenseInferencePlan {
    struct Step {
        let weight: Tensor, bias: Tensor?
        var relu: Bool
        var inFeatures: Int { weight.shape[1] }
        var outFeatures: Int { weight.shape[0] }
    }

    let steps: [Step]
    private var scratch: (rows: Int, tensors: [Tensor]) = (0, [])
    /// Features the first layer reads (the input is flattened to (rows, inFeatures)).
    public let inFeatures: Int
    public var outFeatures: Int { steps.last!.outFeatures }

    /// Plans `model`, whose modules run in order as a chain of Flatten (first only), Linear, ReLU (after a Linear)
    /// and Dropout (identity in inference). The plan reads the layers' parameters as they are when it runs. It
    /// checks itself against `model` on a random input and throws when they differ: a model that is not such a
    /// chain (a custom forward), or one still in training mode with dropout.
    public init(_ model: some Module & Layer) throws {
        var steps: [Step] = []
        for (index, module) in model.modules().enumerated() where module.namedChildren().isEmpty {
            switch module {
            case let linear as Linear:
                steps.append(Step(weight: linear.weight.detach().contiguousStorage(), bias: linear.bias?.detach().contiguousStorage(),
                                  relu: false))
            case is ReLU:
                guard let last = steps.last, !last.relu else { throw InferencePlanError.unsupported("a ReLU that does not follow a Linear") }
                steps[steps.count - 1].relu = true
            case is Flatten:
                guard steps.isEmpty else { throw InferencePlanError.unsupported("a Flatten after the first Linear") }
            case is Dropout:
                continue
            default:
                throw InferencePlanError.unsupported("module \(index) is a \(type(of: module)), not Linear, ReLU, Flatten or Dropout")
            }
        }
        guard let first = steps.first else { throw InferencePlanError.unsupported("the model has no Linear layer") }
        for (a, b) in zip(steps, steps.dropFirst()) where a.outFeatures != b.inFeatures {
            throw InferencePlanError.unsupported("a Linear of \(a.outFeatures) outputs feeds one of \(b.inFeatures) inputs")
        }
        self.steps = steps
        inFeatures = first.inFeatures
        let probe = Tensor.randn([2, inFeatures], generator: RandomGenerator(seed: 7), device: first.weight.device)
        let eager = noGrad { model(probe) }
        guard eager.shape == [2, outFeatures], eager.allClose(self(probe), rtol: 1e-4, atol: 1e-5) else {
            throw InferencePlanError.unsupported("\(type(of: model)) computes something else than its chain of layers (a custom forward, or dropout in training mode)")
        }
    }

    /// The model's output for `input` (rows, …) whose trailing axes hold `inFeatures` values per row.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.requireFloat("inference plan")
        let rows = input.rank == 0 ? 0 : input.count / max(inFeatures, 1)
        require(input.rank >= 1 && rows * inFeatures == input.count && rows > 0,
                "inference plan: input shape \(input.shape) does not hold rows of \(inFeatures) features")
        var x = input.detach().contiguousStorage()
        // Intermediate results live in buffers kept from the last call of the same row count; the result is new.
        if scratch.rows != rows || scratch.tensors.first?.device != x.device {
            scratch = (rows, steps.dropLast().map { x.makeOutput([rows, $0.outFeatures]) })
        }
        for (index, step) in steps.enumerated() {
            let out = index < scratch.tensors.count ? scratch.tensors[index] : x.makeOutput([rows, step.outFeatures])
            x.backend.denseForward(rows: rows, inFeatures: step.inFeatures, outFeatures: step.outFeatures, input: x.operand,
                                   weight: step.weight.operand, bias: step.bias?.operand, relu: step.relu, into: out.operand)
            x = out
        }
        return x
    }
}
