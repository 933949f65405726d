// Layers: shapes, PyTorch default initialisation ranges, and the initialisers' statistics.
import Testing
import Cortex

@Suite("Layers")
struct LayerTests {
    @Test func defaultInitialisationMatchesPyTorchBounds() {
        let linear = Linear(100, 50, generator: RandomGenerator(seed: 1))
        let bound: Float = 1 / 10
        #expect(linear.weight.scalars.allSatisfy { abs($0) <= bound })
        #expect(linear.weight.abs().amax().item() > bound * 0.95)   // fills the range, not a corner of it
        #expect(linear.bias!.scalars.allSatisfy { abs($0) <= bound })
        let conv = Conv2d(4, 8, kernelSize: 3, generator: RandomGenerator(seed: 2))
        let convBound = 1 / Float(4 * 9).squareRoot()
        #expect(conv.weight.shape == [8, 4, 3, 3] && conv.weight.scalars.allSatisfy { abs($0) <= convBound })
        let transposed = ConvTranspose2d(4, 6, kernelSize: 2, stride: 2, groups: 2)
        #expect(transposed.weight.shape == [4, 3, 2, 2])
        #expect(transposed(Tensor.randn([1, 4, 3, 3])).shape == [1, 6, 6, 6])
    }

    @Test func initialisersHaveTheirStatedSpread() {
        let w = Tensor.zeros([200, 300])
        Init.xavierUniform(w, generator: RandomGenerator(seed: 1))
        let a = (6 / Float(500)).squareRoot()
        #expect(w.scalars.allSatisfy { abs($0) <= a })
        Init.kaimingNormal(w, nonlinearity: .relu, generator: RandomGenerator(seed: 2))
        #expect(abs(w.standardDeviation().item() - (2 / Float(300)).squareRoot()) < 0.002)
        Init.xavierNormal(w, generator: RandomGenerator(seed: 3))
        #expect(abs(w.standardDeviation().item() - (2 / Float(500)).squareRoot()) < 0.002)
        Init.constant(w, 0.5)
        #expect(w.scalars.allSatisfy { $0 == 0.5 })
    }

    @Test(arguments: [[6, 4], [4, 6], [5, 5]])
    func orthogonalRowsOrColumnsAreOrthonormal(shape: [Int]) {
        let w = Tensor.zeros(shape)
        Init.orthogonal(w, gain: 2, generator: RandomGenerator(seed: 5))
        // For a wide matrix the rows are orthonormal, for a tall one the columns (times the gain²).
        let gram = shape[0] <= shape[1] ? w.matmul(w.T) : w.T.matmul(w)
        let n = gram.shape[0]
        #expect(gram.isClose(Tensor.eye(n) * 4, rtol: 0, atol: 1e-4).booleans.allSatisfy { $0 })
    }

    @Test func layerShapes() {
        let x = Tensor.randn([2, 3, 8, 8])
        #expect(MaxPool2d(2)(x).shape == [2, 3, 4, 4])
        #expect(AvgPool2d(3, stride: 1, padding: 1)(x).shape == [2, 3, 8, 8])
        #expect(AdaptiveAvgPool2d(1)(x).shape == [2, 3, 1, 1])
        #expect(Flatten()(x).shape == [2, 192])
        #expect(GroupNorm(3, 3)(x).shape == x.shape && LayerNorm(8)(x).shape == x.shape)
        #expect(BatchNorm1d(3)(Tensor.randn([4, 3, 5])).shape == [4, 3, 5])
        #expect(Conv1d(3, 5, kernelSize: 3, padding: 1)(Tensor.randn([2, 3, 7])).shape == [2, 5, 7])
        let embedding = Embedding(10, 4, paddingIndex: 0)
        #expect(embedding.weight[0].scalars == [0, 0, 0, 0])
        #expect(embedding(Tensor([[1, 2, 3], [0, 0, 9]].flatMap { $0 }, shape: [2, 3])).shape == [2, 3, 4])
    }

    @Test func batchNormTracksBatches() {
        let bn = BatchNorm2d(2)
        _ = bn(Tensor.randn([4, 2, 3, 3]))
        _ = bn(Tensor.randn([4, 2, 3, 3]))
        #expect(bn.numBatchesTracked.integers == [2])
        bn.eval()
        _ = bn(Tensor.randn([4, 2, 3, 3]))
        #expect(bn.numBatchesTracked.integers == [2])
    }
}
