// Ready architectures and the text layer spec.
import Testing
import Cortex
@testable import CortexModels

@Suite("Models")
struct ModelsTests {
    @Test func smallConvNetShapesAndSize() {
        let net = SmallConvNet()
        #expect(net(Tensor.zeros([2, 1, 28, 28])).shape == [2, 10])
        // conv 1·32·9+32, bn 2·32, conv 32·64·9+64, bn 2·64, linear 64·7·7·10+10.
        #expect(net.parameterCount == 320 + 64 + 18_496 + 128 + 31_370)
        #expect(net.parameterCount < 100_000)
    }

    @Test func mlpFlattensImages() {
        let mlp = MLP(inputSize: 784, hiddenSizes: [64, 32], outputSize: 10, dropout: 0.1)
        #expect(mlp(Tensor.zeros([3, 1, 28, 28])).shape == [3, 10])
        #expect(mlp.namedParameters().map(\.0).first == "body.1.weight")
    }

    @Test func specBuildsWithInferredShapes() throws {
        let model = try LayerSpec.build("conv(8,3,padding=1), bn, relu, maxpool(2), conv(16, 3), relu, flatten, dropout(0.2), linear(10)",
                                        inputShape: [1, 28, 28])
        #expect(model(Tensor.zeros([2, 1, 28, 28])).shape == [2, 10])
        let linear = try #require(model.layers.last as? Linear)
        #expect(linear.inFeatures == 16 * 12 * 12)
        let mlp = try LayerSpec.build("linear(16), tanh, linear(1)", inputShape: [30])
        #expect(mlp(Tensor.zeros([4, 30])).shape == [4, 1])
    }

    @Test(arguments: ["", "linear(10)", "conv(8)", "frobnicate", "conv(8,3), linear(10)", "linear(0)", "maxpool(40)", "linear(4"])
    func badSpecsThrowClearErrors(spec: String) {
        #expect(throws: LayerSpecError.self) { try LayerSpec.build(spec, inputShape: [1, 28, 28]) }
    }
}
