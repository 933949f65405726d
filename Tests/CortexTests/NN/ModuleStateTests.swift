// A module's state: buffers that are declared, not guessed from requiresGrad (and may stay out of the state
// dict), freezing that keeps a parameter a parameter, Hugging Face key names, updating parameters by name,
// replacing a child, several inputs and outputs.
import Foundation
import Testing
import Cortex
@testable import CortexCore

/// BERT's self-attention naming: `attention.self.query.weight`, `attention.output.LayerNorm.weight`.
private final class SelfAttention: Module {
    let query = Linear(4, 4, generator: RandomGenerator(seed: 1))
    let key = Linear(4, 4, generator: RandomGenerator(seed: 2))
}

private final class AttentionOutput: Module {
    let dense = Linear(4, 4, generator: RandomGenerator(seed: 3))
    @Child(key: "LayerNorm") var layerNorm = LayerNorm([4])
}

private final class Attention: Module {
    @Child(key: "self") var selfAttention = SelfAttention()
    let output = AttentionOutput()
    /// A cache that must never land in a checkpoint.
    @Buffer(persistent: false) var causalMask = Tensor.zeros([4, 4])
    @Param(key: "position_bias") var positions = Tensor.zeros([4]).requiringGrad()
}

/// A recurrent cell in the shape of torch.nn.LSTMCell: two inputs (x and the state), two outputs.
private final class TinyLSTMCell: Module {
    let input = Linear(3, 8, generator: RandomGenerator(seed: 4))
    let hidden = Linear(2, 8, bias: false, generator: RandomGenerator(seed: 5))

    func callAsFunction(_ x: Tensor, state: (h: Tensor, c: Tensor)) -> (h: Tensor, c: Tensor) {
        let gates = (input(x) + hidden(state.h)).chunk(4, dim: 1)
        let c = gates[1].sigmoid() * state.c + gates[0].sigmoid() * gates[2].tanh()
        return (gates[3].sigmoid() * c.tanh(), c)
    }
}

private final class Reshaped: Module {
    @Param(key: "gamma") var scale = Tensor.ones([4])
}

@Suite("Module state")
struct ModuleStateTests {
    @Test func keysCanBeHuggingFaceNames() {
        let names = Attention().stateDict().keys.sorted()
        #expect(names == ["output.LayerNorm.bias", "output.LayerNorm.weight", "output.dense.bias", "output.dense.weight",
                          "position_bias", "self.key.bias", "self.key.weight", "self.query.bias", "self.query.weight"])
    }

    @Test func nonPersistentBuffersStayOutOfTheStateDict() {
        let attention = Attention()
        #expect(attention.namedBuffers().map(\.0) == ["causal_mask"])
        #expect(attention.stateDict()["causal_mask"] == nil)
        let bn = BatchNorm1d(3)
        #expect(bn.namedBuffers().map(\.0) == ["running_mean", "running_var", "num_batches_tracked"])
        #expect(bn.namedParameters().map(\.0) == ["weight", "bias"])
    }

    @Test func aFrozenParameterIsStillAParameterAndIsNotUpdated() throws {
        let model = Sequential { Linear(2, 3, generator: RandomGenerator(seed: 1)); ReLU(); Linear(3, 1, generator: RandomGenerator(seed: 2)) }
        let first = model.layers[0] as! Linear
        first.freeze()
        #expect(model.namedParameters().map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(model.namedBuffers().isEmpty && model.trainableParameters().count == 2)
        let optimizer = Adam(model.parameters(), learningRate: 0.1)
        let frozenBefore = first.weight.scalars, lastBefore = (model.layers[2] as! Linear).weight.scalars
        mseLoss(model(Tensor.randn([8, 2], generator: RandomGenerator(seed: 3))), Tensor.ones([8, 1])).backward()
        optimizer.step()
        #expect(first.weight.scalars == frozenBefore && first.weight.grad == nil)
        #expect((model.layers[2] as! Linear).weight.scalars != lastBefore)
        model.unfreeze()
        #expect(model.trainableParameters().count == 4)
    }

    @Test func updateParametersCopiesByNameAfterCheckingEveryShape() throws {
        let attention = Attention()
        try attention.update(parameters: ["self.query.bias": Tensor.full([4], 7)])
        #expect(attention.selfAttention.query.bias!.scalars == [7, 7, 7, 7])
        #expect(throws: StateDictError.self) {
            try attention.update(parameters: ["self.key.bias": Tensor.full([4], 1), "self.query.weight": Tensor.zeros([2, 2])])
        }
        #expect(attention.selfAttention.key.bias!.scalars != [1, 1, 1, 1])   // nothing copied
        #expect(throws: StateDictError.self) { try attention.update(parameters: ["causal_mask": Tensor.zeros([4, 4])]) }
    }

    @Test func reflectionRunsOncePerModuleAndWrappedValuesStayCurrent() {
        let attention = Attention()
        for _ in 0..<5 { _ = attention.parameters(); _ = attention.stateDict() }
        #expect(attention.modules().allSatisfy { $0.reflectionCount == 1 })
        // A wrapped value reassigned after the first reflection is what the state dict holds.
        let layer = Reshaped()
        _ = layer.stateDict()
        layer.scale = Tensor.ones([2])
        #expect(layer.stateDict()["gamma"]?.shape == [2])
    }

    @Test func childrenCanBeReplaced() throws {
        let attention = Attention()
        let norm = LayerNorm([4], eps: 1e-12)
        try attention.replace("output.LayerNorm", with: norm)
        #expect(attention.output.layerNorm === norm)
        let model = Sequential { Linear(2, 2); ReLU() }
        let swapped = Linear(2, 2, bias: false)
        try model.replace("0", with: swapped)
        #expect(model.layers[0] as? Linear === swapped && model.stateDict().keys.sorted() == ["0.weight"])
        let plain = #expect(throws: StateDictError.self) { try attention.replace("output.dense", with: Linear(4, 4)) }
        #expect(plain?.description.contains("declare it with @Child") == true)
        #expect(throws: StateDictError.self) { try attention.replace("self", with: Linear(4, 4)) }   // wrong type
    }

    @Test func layersWithSeveralInputsAndOutputsAreModulesLikeAnyOther() {
        let cell = TinyLSTMCell()
        #expect(cell.stateDict().keys.sorted() == ["hidden.weight", "input.bias", "input.weight"])
        let (h, c) = cell(Tensor.randn([5, 3], generator: RandomGenerator(seed: 6)), state: (Tensor.zeros([5, 2]), Tensor.zeros([5, 2])))
        #expect(h.shape == [5, 2] && c.shape == [5, 2])
        (h.sum() + c.sum()).backward()
        #expect(cell.parameters().allSatisfy { $0.grad != nil })
    }
}
