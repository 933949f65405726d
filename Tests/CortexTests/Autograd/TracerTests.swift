// Ops as data: a forward pass traced to a graph of ops with attributes, shapes,
// parameters and FLOPs — in evaluation mode with gradients off, as `cortex inspect` runs it.
import Foundation
import Testing
import Cortex
@testable import CortexCore
import CortexModels

@Suite("Tracer")
struct TracerTests {
    @Test func theDemoCNNsGraphAndItsFLOPsEqualAHandCount() {
        let model = SmallConvNet(classes: 10, seed: 0)
        model.eval()
        let graph = noGrad { Tracer.trace(model, inputs: [Tensor.zeros([1, 1, 28, 28])]) { model($0[0]) } }
        #expect(graph.ops.map(\.kind) == ["conv2d", "batch_norm", "relu", "max_pool2d", "conv2d", "batch_norm", "relu",
                                          "max_pool2d", "reshape", "linear"])
        // By hand: a multiply-add is 2 FLOPs, a bias add 1 per output; batch norm in evaluation a scale and a
        // shift per element; ReLU 1 and 2×2 max pooling 4 per output element.
        let conv1 = 2 * (32 * 28 * 28) * (1 * 3 * 3) + 32 * 28 * 28          // 476,672
        let block1 = 2 * (32 * 28 * 28) + (32 * 28 * 28) + (32 * 14 * 14) * 4  // norm, relu, pool
        let conv2 = 2 * (64 * 14 * 14) * (32 * 3 * 3) + 64 * 14 * 14          // 7,237,888
        let block2 = 2 * (64 * 14 * 14) + (64 * 14 * 14) + (64 * 7 * 7) * 4
        let classifier = 2 * 3136 * 10 + 10
        #expect(graph.totalFLOPs == conv1 + block1 + conv2 + block2 + classifier)
        #expect(graph.totalFLOPs == 7_927_818)
        #expect(graph.totalParameters == model.parameterCount)
        let conv = graph.ops[0]
        #expect(conv.inputs == ["input.0", "features.0.weight", "features.0.bias"] && conv.outputShape == [1, 32, 28, 28])
        #expect(conv.attributes["stride"] == .ints([1, 1]) && conv.attributes["padding"] == .ints([1, 1]))
        #expect(graph.ops[3].attributes["kernel"] == .ints([2, 2]) && graph.ops[4].inputs.first == "%3")
        #expect(graph.description.contains("total: 10 ops, 50378 parameters, 7927818 FLOPs"))
    }

    @Test func everyOpRecordsItsAttributes() {
        let x = Tensor.randn([2, 3, 4], generator: RandomGenerator(seed: 1))
        let graph = noGrad {
            Tracer.trace(inputs: [x]) { inputs in
                let a = leakyRelu(inputs[0], negativeSlope: 0.2).sliced(2, start: 1, end: 3)
                let b = Tensor.cat([a, a], dim: 1).permuted([0, 2, 1]).reshaped([2, -1])
                return b.sum(dims: [1], keepDim: true).clamped(min: -1, max: 1).cumsum(0)
            }
        }
        let recorded = Dictionary(graph.ops.map { ($0.kind, $0.attributes) }, uniquingKeysWith: { first, _ in first })
        #expect(recorded["leaky_relu"] == ["negative_slope": .float(0.2)])
        #expect(recorded["slice"] == ["dim": .int(2), "start": .int(1), "end": .int(3), "step": .int(1)])
        #expect(recorded["cat"] == ["dim": .int(1)])
        #expect(recorded["permute"] == ["order": .ints([0, 2, 1])])
        #expect(recorded["reshape"] == ["shape": .ints([2, 12])])
        #expect(recorded["sum"] == ["dims": .ints([1]), "keep_dim": .bool(true)])
        #expect(recorded["clamp"] == ["min": .float(-1), "max": .float(1)])
        #expect(recorded["cumsum"] == ["dim": .int(0)])
    }

    @Test func aTraceWithGradientsOnRecordsTheSameOpsAndLeavesBackwardWorking() {
        let model = Sequential { Linear(4, 8, generator: RandomGenerator(seed: 1)); GELU(); Linear(8, 2, generator: RandomGenerator(seed: 2)) }
        let x = Tensor.randn([3, 4], generator: RandomGenerator(seed: 3))
        var output: Tensor?
        let graph = Tracer.trace(model, inputs: [x]) { inputs in
            let y = model(inputs[0]).softmax(dim: 1)
            output = y
            return y
        }
        #expect(graph.ops.map(\.kind) == ["linear", "gelu", "linear", "softmax"])
        #expect(graph.ops[3].attributes["dim"] == .int(1) && graph.ops[3].flops == 3 * 6)
        #expect(graph.ops[0].flops == 2 * 3 * 8 * 4 + 3 * 8)
        output!.sum().backward()
        #expect(model.parameters().allSatisfy { $0.grad != nil })
        // Outside a trace nothing is recorded.
        #expect(Tracer.current == nil)
    }
}
