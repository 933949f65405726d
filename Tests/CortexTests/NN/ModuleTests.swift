// Parameter discovery, PyTorch state-dict names, modes and state loading.
import Foundation
import Testing
import Cortex
@testable import CortexCore

/// A model written the way users write them: stored layers, a sub-Sequential, an optional layer.
private final class SmallNet: Module, Layer {
    let features = Sequential {
        Conv2d(1, 4, kernelSize: 3, padding: 1, generator: RandomGenerator(seed: 1)); BatchNorm2d(4); ReLU()
        MaxPool2d(2)
    }
    let classifier = Linear(4 * 4 * 4, 3, generator: RandomGenerator(seed: 2))
    let dropout = Dropout(0.5, generator: RandomGenerator(seed: 3))
    let unused: Linear? = nil

    func callAsFunction(_ input: Tensor) -> Tensor {
        classifier(dropout(features(input).flattened(from: 1)))
    }
}

@Suite("Module")
struct ModuleTests {
    @Test func namesFollowPyTorchStateDicts() {
        let net = SmallNet()
        #expect(net.namedTensors().map(\.0) == [
            "features.0.weight", "features.0.bias",
            "features.1.weight", "features.1.bias", "features.1.running_mean", "features.1.running_var",
            "features.1.num_batches_tracked",
            "classifier.weight", "classifier.bias",
        ])
        #expect(net.parameters().count == 6)
        #expect(net.namedBuffers().map(\.0) == ["features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked"])
        #expect(net.parameterCount == 4 * 9 + 4 + 4 + 4 + 64 * 3 + 3)
        #expect(stateKey("inProjWeight") == "in_proj_weight" && stateKey("_runningMean") == "running_mean")
    }

    @Test func trainAndEvalReachEveryDescendant() {
        let net = SmallNet()
        net.eval()
        #expect(net.modules().allSatisfy { !$0.training })
        let x = Tensor.randn([2, 1, 8, 8], generator: RandomGenerator(seed: 4))
        // In eval mode dropout is off and batch norm uses running statistics: same input, same output.
        #expect(net(x).scalars == net(x).scalars)
        net.train()
        #expect(net.modules().allSatisfy { $0.training })
    }

    @Test func stateDictRoundTripsThroughSafetensors() throws {
        let a = SmallNet(), b = SmallNet()
        _ = a(Tensor.randn([2, 1, 8, 8]))   // moves running statistics away from their initial values
        Init.normal(b.classifier.weight)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try saveSafetensors(a.stateDict(), to: url)
        try b.loadStateDict(loadSafetensors(url))
        for (name, tensor) in a.stateDict() {
            #expect(b.stateDict()[name]?.scalars == tensor.scalars, "\(name)")
        }
    }

    @Test func loadStateDictRejectsMismatches() {
        let net = SmallNet()
        var state = net.stateDict().mapValues { Tensor.zeros($0.shape, dtype: $0.dtype) }
        state["classifier.weight"] = Tensor.zeros([2, 2])
        let before = net.features.layers[0].stateDict()["weight"]!.scalars
        #expect(throws: StateDictError.self) { try net.loadStateDict(state) }
        // Nothing was copied: a failed load leaves the model as it was.
        #expect(net.features.layers[0].stateDict()["weight"]!.scalars == before)
        var missing = net.stateDict()
        missing["classifier.bias"] = nil
        #expect(throws: StateDictError.self) { try net.loadStateDict(missing) }
        try? net.loadStateDict(missing, strict: false)
    }

    @Test func sequentialChainsLayersAndGradientsReachEveryParameter() {
        let model = Sequential {
            Linear(4, 8, generator: RandomGenerator(seed: 1)); Tanh()
            Linear(8, 2, generator: RandomGenerator(seed: 2))
        }
        #expect(model.namedParameters().map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        let y = model(Tensor.randn([5, 4]))
        #expect(y.shape == [5, 2])
        y.sum().backward()
        #expect(model.parameters().allSatisfy { $0.grad != nil })
        model.zeroGrad()
        #expect(model.parameters().allSatisfy { $0.grad == nil })
    }
}
