// Behaviour that parity fixtures and finite differences do not pin down: conventions at the edges.
import Foundation
import Testing
import Cortex

@Suite("Op behaviour")
struct OpBehaviourTests {
    @Test func averagePoolingSplitOverCoresMatchesBlockMeans() {
        // 256 planes of 32×32: enough for the planes to be split over threads.
        let x = Tensor.randn([8, 32, 32, 32], generator: RandomGenerator(seed: 4)).requiringGrad()
        let pooled = avgPool2d(x, kernelSize: [2])
        let blocks = x.detach().reshaped([8, 32, 16, 2, 16, 2]).mean(dims: [3, 5])
        #expect(pooled.shape == [8, 32, 16, 16])
        #expect(zip(pooled.scalars, blocks.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
        pooled.sum().backward()
        #expect(x.grad!.scalars.allSatisfy { $0 == 0.25 })
    }

    @Test func maxPoolingKeepsTheFirstMaximumAndPropagatesNaN() {
        // One plane of 4 × 4: ties (the first maximum wins, as in PyTorch), a NaN window, and a plain one; through
        // the 2 × 2 stride-2 kernel and the general one (3 × 3, stride 1, padding 1), with the gradients routed.
        let nan = Float.nan
        let values: [Float] = [1, 5, 5, 2,
                               5, 0, 3, 3,
                               7, nan, 1, 9,
                               2, nan, 9, 4]
        let x = Tensor(values, shape: [1, 1, 4, 4]).requiringGrad()
        let y = maxPool2d(x, kernelSize: [2])
        let out = y.scalars
        #expect(out[0] == 5 && out[1] == 5 && out[2].isNaN && out[3] == 9)
        y.sum().backward()
        // Window 0's first 5 is at (0, 1), window 1's at (0, 2); the NaN window routes to its first NaN (2, 1).
        let g = x.grad!.scalars
        #expect(g[1] == 1 && g[4] == 0 && g[2] == 1 && g[9] == 1 && g[13] == 0 && g[11] == 1 && g[14] == 0)
        let general = maxPool2d(Tensor(values, shape: [1, 1, 4, 4]), kernelSize: [3], stride: [1], padding: [1]).scalars
        // (0, 0) sees rows 0-1, columns 0-1: 5 first at (0, 1); (0, 3) sees 5, 2, 3, 3 → 5; (1, 1) sees the NaN at (2, 1).
        #expect(general[0] == 5 && general[3] == 5 && general[5].isNaN && general[15] == 9)
    }

    @Test func maxPoolingInCeilModeClipsTheLastWindows() {
        // Two planes of 3 × 5 pooled 2 × 2 in ceil mode: the last row and column of windows hang over the edge and
        // see only what is inside the plane — never the next plane's values, which are all larger here.
        let values = (0..<30).map { Float($0 < 15 ? $0 : 100 + $0) }
        let x = Tensor(values, shape: [1, 2, 3, 5]).requiringGrad()
        let y = maxPool2d(x, kernelSize: [2], ceilMode: true)
        #expect(y.shape == [1, 2, 2, 3])
        // Plane 0: windows end at (1, 1), (1, 3), (1, 4), then the cut row 2: (2, 1), (2, 3), (2, 4).
        #expect(y.scalars == [6, 8, 9, 11, 13, 14, 121, 123, 124, 126, 128, 129])
        y.sum().backward()
        #expect(x.grad!.scalars.enumerated().filter { $0.element == 1 }.map(\.offset) == [6, 8, 9, 11, 13, 14, 21, 23, 24, 26, 28, 29])
    }

    @Test func gradientNormsOfEveryKindMatchADirectSum() {
        let g = RandomGenerator(seed: 9)
        let parameters = [Tensor.randn([300, 70], generator: g), Tensor.randn([70], generator: g)].map { $0.requiringGrad() }
        for p in parameters { p.grad = Tensor.randn(p.shape, generator: g) }
        let values = parameters.flatMap { $0.grad!.scalars.map { Double(abs($0)) } }
        for normType: Float in [1, 2, 3, .infinity] {
            let expected = normType.isInfinite ? values.max()! : pow(values.reduce(0) { $0 + pow($1, Double(normType)) }, 1 / Double(normType))
            let norm = clipGradNorm(parameters, maxNorm: 1e9, normType: normType).item()
            #expect(abs(Double(norm) - expected) / expected < 1e-5, "norm \(normType): \(norm) vs \(expected)")
        }
        let before = parameters[0].grad!.scalars
        let norm = clipGradNorm(parameters, maxNorm: 1).item()
        #expect(zip(parameters[0].grad!.scalars, before).allSatisfy { abs($0 - $1 / (norm + 1e-6)) < 1e-6 })
    }

    @Test func embeddingPaddingRowGetsNoGradient() {
        let weight = Tensor.randn([4, 2], generator: RandomGenerator(seed: 1)).requiringGrad()
        embedding(Tensor([0, 2, 0, 3]), weight: weight, paddingIndex: 0).sum().backward()
        #expect(weight.grad?.scalars == [0, 0, 0, 0, 1, 1, 1, 1])
    }

    @Test func softmaxHandlesMaskedEntriesAndLargeValues() {
        let x = Tensor([1000, 1000, -.infinity] as [Float])
        #expect(x.softmax(dim: 0).scalars == [0.5, 0.5, 0])
        let logp = Tensor([0, -.infinity] as [Float]).logSoftmax(dim: 0).scalars
        #expect(logp[0] == 0 && logp[1] == -.infinity)
    }

    @Test func maximumSplitsTiedGradients() {
        let a = Tensor([1, 2] as [Float]).requiringGrad(), b = Tensor([1, 3] as [Float]).requiringGrad()
        a.maximum(b).sum().backward()
        #expect(a.grad?.scalars == [0.5, 0] && b.grad?.scalars == [0.5, 1])
    }

    @Test func batchNormUpdatesRunningStatistics() {
        let x = Tensor([1, 2, 3, 4] as [Float], shape: [4, 1])
        let mean = Tensor.zeros([1]), variance = Tensor.ones([1])
        _ = batchNorm(x, runningMean: mean, runningVar: variance, training: true, momentum: 0.5)
        #expect(mean.scalars == [1.25])                     // 0.5·0 + 0.5·2.5
        #expect(abs(variance.item() - (0.5 + 0.5 * 5.0 / 3)) < 1e-6)   // unbiased batch variance 5/3
    }

    @Test func dropoutIsSeededAndScalesSurvivors() {
        let x = Tensor.ones([1000])
        let a = dropout(x, probability: 0.25, generator: RandomGenerator(seed: 9)).scalars
        let b = dropout(x, probability: 0.25, generator: RandomGenerator(seed: 9)).scalars
        #expect(a == b)
        #expect(Set(a).isSubset(of: [0, Float(1) / 0.75]))
        #expect(dropout(x, probability: 0.5, training: false).scalars == x.scalars)
    }

    @Test func padModes() {
        let x = Tensor([1, 2, 3] as [Float])
        #expect(pad(x, [2, 1], mode: .reflect).scalars == [3, 2, 1, 2, 3, 2])
        #expect(pad(x, [1, 2], mode: .replicate).scalars == [1, 1, 2, 3, 3, 3])
        #expect(pad(x, [-1, 1]).scalars == [2, 3, 0])
    }

    @Test func crossEntropyWithProbabilitiesEqualsIntegerTargets() {
        let logits = Tensor.randn([4, 3], generator: RandomGenerator(seed: 5))
        let labels = Tensor([2, 0, 1, 1])
        let oneHot = Tensor.eye(3).indexSelect(0, labels)
        #expect(abs(crossEntropy(logits, labels).item() - crossEntropy(logits, oneHot).item()) < 1e-6)
    }
}
