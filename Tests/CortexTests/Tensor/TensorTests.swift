// Creation, element types, views, broadcasting and randomness of `Tensor`.
import Foundation
import Testing
import Cortex

@Suite("Tensor")
struct TensorTests {
    @Test func int8StoresSmallIntegersInOneByte() {
        let t = Tensor([-128, -1, 0, 127], dtype: .int8)
        #expect(t.dtype.byteSize == 1 && t.dtype.isInteger && t.integers == [-128, -1, 0, 127])
        #expect(t.to(.float32).scalars == [-128, -1, 0, 127] && t.to(.int64).integers == [-128, -1, 0, 127])
        #expect(Tensor([1.9, -2.7, 300] as [Float]).to(.int8).integers == [1, -2, 44])   // truncates, wraps as int8
        #expect(Tensor.full([2], -3, dtype: .int8).integers == [-3, -3])
        #expect(Tensor([-5, 6], dtype: .int8).to(.uint8).integers == [251, 6])
    }

    @Test func creationFromArraysAndFills() {
        let t = Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        #expect(t.shape == [2, 3] && t.dtype == .float32 && t.count == 6 && t.rank == 2)
        #expect(t.scalars == [1, 2, 3, 4, 5, 6])
        #expect(Tensor.zeros([2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor.full([3], 2.5).scalars == [2.5, 2.5, 2.5])
        #expect(Tensor.eye(2, 3).scalars == [1, 0, 0, 0, 1, 0])
        #expect(Tensor.arange(0, 1, step: 0.25).scalars == [0, 0.25, 0.5, 0.75])
        #expect(Tensor.arange(4).integers == [0, 1, 2, 3] && Tensor.arange(4).dtype == .int64)
        #expect(Tensor.linspace(0, 1, count: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor(3.5).shape == [] && Tensor(3.5).item() == 3.5)
        #expect(Tensor([true, false]).dtype == .bool && Tensor([true, false]).booleans == [true, false])
        #expect(Tensor.zeros([0, 3]).count == 0)
    }

    @Test func dtypeConversions() {
        let x = Tensor([1.5, -2.75, 65504, 1e-3] as [Float])
        // Float16 holds these exactly except 1e-3, which rounds to the nearest half.
        let half = x.to(.float16).to(.float32).scalars
        #expect(half[0...2] == [1.5, -2.75, 65504])
        #expect(abs(half[3] - 1e-3) < 1e-6 && half[3] != 1e-3)
        // BFloat16 keeps 8 significant bits, rounding to nearest even.
        #expect(Tensor([1.00390625] as [Float]).to(.bfloat16).to(.float32).scalars == [1.0])
        #expect(Tensor([1.01171875] as [Float]).to(.bfloat16).to(.float32).scalars == [1.015625])
        #expect(Tensor([2.9, -2.9] as [Float]).to(.int64).integers == [2, -2])
        #expect(Tensor([0, 3] as [Float]).to(.bool).booleans == [false, true])
        #expect(Tensor([7, -1]).to(.int32).to(.int64).integers == [7, -1])
    }

    @Test func viewsShareStorageAndReshapeCopiesWhenNeeded() {
        let x = Tensor.arange(0, 6).reshaped([2, 3])
        let t = x.T
        #expect(t.shape == [3, 2] && !t.isContiguous)
        #expect(t.scalars == [0, 3, 1, 4, 2, 5])
        #expect(t.reshaped([6]).scalars == [0, 3, 1, 4, 2, 5])
        #expect(x.reshaped([3, -1]).shape == [3, 2])
        #expect(x.unsqueezed(0).shape == [1, 2, 3] && x.unsqueezed(-1).shape == [2, 3, 1])
        #expect(x.unsqueezed(1).squeezed().shape == [2, 3])
        #expect(x.sliced(1, start: 0, end: 3, step: 2).scalars == [0, 2, 3, 5])
        #expect(x.sliced(1, start: -2).scalars == [1, 2, 4, 5])
        #expect(x[1].scalars == [3, 4, 5] && x[1, 2].item() == 5)
        #expect(x[0..<2, 1...].scalars == [1, 2, 4, 5])
        #expect(Tensor([1, 2] as [Float]).reshaped([2, 1]).expanded(to: [2, 3]).scalars == [1, 1, 1, 2, 2, 2])
        #expect(x.flattened().shape == [6])
        #expect(x.permuted([1, 0]).contiguous().isContiguous)
    }

    @Test func broadcastingArithmetic() {
        let a = Tensor([1, 2, 3] as [Float], shape: [3, 1])
        let b = Tensor([10, 20] as [Float])
        #expect((a + b).shape == [3, 2])
        #expect((a + b).scalars == [11, 21, 12, 22, 13, 23])
        #expect((a * b - 1).scalars == [9, 19, 19, 39, 29, 59])
        #expect((b / 10).scalars == [1, 2])
        #expect((1 - b).scalars == [-9, -19])
        #expect((2 / b).scalars == [0.2, 0.1])
        // Operands that are views with strides broadcast too.
        let m = Tensor.arange(0, 6).reshaped([2, 3]).T
        #expect((m + Tensor([100, 200] as [Float])).scalars == [100, 203, 101, 204, 102, 205])
    }

    @Test func largeElementwiseAndReductionsUseEveryCore() {
        // Large enough to take the parallel paths; exact integers keep the sums exact.
        let n = 1 << 20
        let x = Tensor.ones([n]) * 2
        #expect((x + x).sum().item() == Float(4 * n))
        let m = Tensor.ones([1024, 1024])
        #expect(m.sum(dim: 0).scalars.allSatisfy { $0 == 1024 })
        #expect(m.sum(dim: 1).scalars.allSatisfy { $0 == 1024 })
    }

    @Test func reductionsAndComparisons() {
        let x = Tensor([3, 1, 4, 1, 5, 9] as [Float], shape: [2, 3])
        #expect(x.sum().item() == 23)
        #expect(x.sum(dim: 0).scalars == [4, 6, 13])
        #expect(x.mean(dim: 1, keepDim: true).shape == [2, 1])
        #expect(x.amax(dim: 1).scalars == [4, 9] && x.amin().item() == 1)
        #expect(x.argmax(dim: 1).integers == [2, 2] && x.argmin().integers == [1])
        #expect(x.cumsum(1).scalars == [3, 4, 8, 1, 6, 15])
        #expect(x.gt(2).booleans == [true, false, true, false, true, true])
        #expect((x.gt(2) & x.lt(5)).booleans == [true, false, true, false, false, false])
        #expect(Tensor.where(x.gt(3), x, Tensor.zeros([])).scalars == [0, 0, 4, 0, 5, 9])
        #expect(abs(Tensor([1, 2, 3, 4] as [Float]).variance().item() - 1.6666666) < 1e-6)
    }

    @Test func seededRandomnessIsReproducible() {
        let a = Tensor.randn([100], generator: RandomGenerator(seed: 42))
        let b = Tensor.randn([100], generator: RandomGenerator(seed: 42))
        let c = Tensor.randn([100], generator: RandomGenerator(seed: 43))
        #expect(a.scalars == b.scalars && a.scalars != c.scalars)
        let big = Tensor.randn([20000], mean: 1, std: 2, generator: RandomGenerator(seed: 1))
        #expect(abs(big.mean().item() - 1) < 0.05)
        #expect(abs(big.standardDeviation().item() - 2) < 0.05)
        let u = Tensor.uniform([10000], low: -1, high: 3, generator: RandomGenerator(seed: 2)).scalars
        #expect(u.allSatisfy { $0 >= -1 && $0 < 3 })
        let coin = Tensor.bernoulli([10000], probability: 0.3, generator: RandomGenerator(seed: 3)).mean().item()
        #expect(abs(coin - 0.3) < 0.02)
        let dice = Tensor.randint(1, 7, [1000], generator: RandomGenerator(seed: 4)).integers
        #expect(Set(dice) == Set(1...6))
    }

    @Test func descriptionShowsValuesShapeAndType() {
        let text = Tensor([1, 2] as [Float]).description
        #expect(text.contains("[1., 2.]") && text.contains("shape=[2]") && text.contains("float32"))
    }

    @Test func twoThreadsDrawingFromTheSharedGeneratorNeverRepeatOrSkipANumber() async {
        // In a child process: other tests running in parallel draw from the shared generator too.
        await #expect(processExitsWith: .success) {
            manualSeed(42)
            let draws = 2000, size = 16
            // Each tensor is drawn whole under the lock, so together the two threads consume exactly the
            // generator's first 2 × 2000 × 16 numbers, each once.
            async let a = (0..<draws).map { _ in Tensor.rand([size]).scalars }
            async let b = (0..<draws).map { _ in Tensor.rand([size]).scalars }
            let drawn = (await a + b).flatMap { $0 }.sorted()
            let reference = RandomGenerator(seed: 42)
            let expected = (0..<(2 * draws * size)).map { _ in reference.nextUniform() }.sorted()
            let differing = zip(drawn, expected).filter { $0 != $1 }.count
            if differing > 0 {
                FileHandle.standardError.write(Data("\(differing) of \(drawn.count) draws differ from the sequence\n".utf8))
                exit(1)
            }
        }
    }

    @Test func integerLabelsAboveTwoToThe24AreExact() {
        let big: [Int] = [16_777_217, 2_147_483_647, -2_147_483_648, 123_456_789]
        let asInt32 = Tensor(big, dtype: .int32)
        #expect(asInt32.integers == big)
        #expect(asInt32.to(.int64).integers == big)
        #expect(Tensor(big).to(.int32).integers == big)
        #expect(Tensor([300, -1]).to(.uint8).integers == [44, 255])
        #expect(Tensor([0, 5]).to(.bool).integers == [0, 1])
        // Batches pick label rows as bytes, never through float32.
        let data = TensorDataset(inputs: Tensor.zeros([4, 2]), targets: Tensor(big))
        #expect(data.batch(at: [3, 0, 1]).target.integers == [123_456_789, 16_777_217, 2_147_483_647])
    }
}
