// The planned inference path of dense chains computes what the model computes eagerly, refuses what is not a
// plain chain, and keeps up with parameters that change after planning.
import Testing
@testable import Cortex

@Suite("Dense inference plan")
struct DenseInferencePlanTests {
    static func chain(bias: Bool = true, finalReLU: Bool = false) -> Sequential {
        let g = RandomGenerator(seed: 4)
        var layers: [any Layer] = [Flatten(), Linear(12, 40, bias: bias, generator: g), ReLU(), Dropout(0.5), Linear(40, 24, generator: g), ReLU(),
                                   Linear(24, 5, bias: bias, generator: g)]
        if finalReLU { layers.append(ReLU()) }
        return Sequential(layers)
    }

    @Test(arguments: [(1, true, false), (3, true, true), (1, false, false), (70, false, true)])
    func matchesTheEagerModel(rows: Int, bias: Bool, finalReLU: Bool) throws {
        let model = Self.chain(bias: bias, finalReLU: finalReLU)
        model.eval()
        let plan = try DenseInferencePlan(model)
        #expect(plan.inFeatures == 12 && plan.outFeatures == 5)
        // Rows of (3, 4) images, flattened by the plan as by the model's Flatten.
        let x = Tensor.randn([rows, 3, 4], generator: RandomGenerator(seed: 5))
        let eager = noGrad { model(x) }
        for _ in 0..<2 {   // the second call reuses the intermediate buffers
            let planned = plan(x)
            #expect(planned.shape == [rows, 5])
            #expect(planned.allClose(eager, rtol: 1e-5, atol: 1e-6))
        }
    }

    @Test func readsParametersAsTheyAreWhenItRuns() throws {
        let model = Self.chain()
        model.eval()
        let plan = try DenseInferencePlan(model)
        let x = Tensor.randn([2, 12], generator: RandomGenerator(seed: 6))
        for p in model.parameters() { noGrad { p.assign(p * 0.5) } }
        #expect(plan(x).allClose(noGrad { model(x) }, rtol: 1e-5, atol: 1e-6))
    }

    @Test func refusesWhatIsNotAPlainChain() {
        let g = RandomGenerator(seed: 1)
        #expect(throws: InferencePlanError.self) { try DenseInferencePlan(Sequential { Linear(4, 4, generator: g); Tanh() }) }
        #expect(throws: InferencePlanError.self) { try DenseInferencePlan(Sequential { ReLU(); Linear(4, 4, generator: g) }) }
        #expect(throws: InferencePlanError.self) { try DenseInferencePlan(Sequential { Linear(4, 3, generator: g); Linear(4, 2, generator: g) }) }
        // Still in training mode: dropout makes the model differ from the chain, and the self-check says so.
        let training = Self.chain()
        #expect(throws: InferencePlanError.self) { try DenseInferencePlan(training) }
    }
}
