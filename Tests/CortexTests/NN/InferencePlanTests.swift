// The planned inference path computes what the model computes eagerly — dense chains, and convolution blocks
// over every geometry the plan runs differently (pools that tile the output and pools that do not, padding,
// stride, dilation, several input channels, batch norm folded) — refuses what it cannot run, and keeps the
// weights it was made with.
import Testing
import Cortex

@Suite("Inference plan")
struct InferencePlanTests {
    static func chain(bias: Bool = true, finalReLU: Bool = false) -> Sequential {
        let g = RandomGenerator(seed: 4)
        var layers: [any Layer] = [Flatten(), Linear(12, 40, bias: bias, generator: g), ReLU(), Dropout(0.5), Linear(40, 24, generator: g), ReLU(),
                                   Linear(24, 5, bias: bias, generator: g)]
        if finalReLU { layers.append(ReLU()) }
        return Sequential(layers)
    }

    @Test(arguments: [(1, true, false), (3, true, true), (1, false, false), (70, false, true)])
    func matchesTheEagerDenseModel(rows: Int, bias: Bool, finalReLU: Bool) throws {
        let model = Self.chain(bias: bias, finalReLU: finalReLU)
        model.eval()
        let plan = try InferencePlan(model)
        #expect(plan.sampleShape == [12] && plan.outFeatures == 5)
        // Rows of (3, 4) images, flattened by the plan as by the model's Flatten.
        let x = Tensor.randn([rows, 3, 4], generator: RandomGenerator(seed: 5))
        let eager = noGrad { model(x) }
        for _ in 0..<2 {   // the second call reuses the intermediate buffers
            let planned = plan(x)
            #expect(planned.shape == [rows, 5])
            #expect(planned.allClose(eager, rtol: 1e-5, atol: 1e-6))
        }
    }

    /// A convolutional model with one convolution block of the given geometry, then a second block and a head.
    static func convolutional(channels: Int, padding: Int = 0, stride: Int = 1, dilation: Int = 1, pool: MaxPool2d?,
                              relu: Bool = true, batchNorm: Bool = false, bias: Bool = true) -> Sequential {
        let g = RandomGenerator(seed: 11)
        var layers: [any Layer] = [Conv2d(channels, 6, kernelSize: 3, stride: stride, padding: padding, dilation: dilation, bias: bias, generator: g)]
        if batchNorm { layers.append(BatchNorm2d(6)) }
        if relu { layers.append(ReLU()) }
        if let pool { layers.append(pool) }
        layers += [Conv2d(6, 5, kernelSize: 2, generator: g), ReLU(), Flatten()] as [any Layer]
        return Sequential(layers)
    }

    /// A head sized for whatever the convolutions produce, from one eager pass.
    static func withHead(_ body: Sequential, sampleShape: [Int]) -> Sequential {
        let features = noGrad { body(Tensor.zeros([1] + sampleShape)) }.count
        let g = RandomGenerator(seed: 12)
        return Sequential([body, Linear(features, 7, generator: g), ReLU(), Linear(7, 3, generator: g)] as [any Layer])
    }

    typealias Pool = (kernel: Int, stride: Int, padding: Int, ceil: Bool)
    static let geometries: [(name: String, channels: Int, padding: Int, stride: Int, dilation: Int, pool: Pool?)] = [
        ("2×2 pool, tiles the output", 1, 0, 1, 1, (2, 2, 0, false)),
        ("padding, gathered windows", 3, 1, 1, 1, (2, 2, 0, false)),
        ("stride 2, no pool", 2, 0, 2, 1, nil),
        ("dilation 2", 3, 0, 1, 2, (2, 2, 0, false)),
        ("3×3 pool stride 2, overlapping", 4, 1, 1, 1, (3, 2, 0, false)),
        ("padded pool", 1, 0, 1, 1, (3, 2, 1, false)),
        ("ceil-mode pool", 2, 0, 1, 1, (2, 2, 0, true)),
    ]

    @Test(arguments: 0..<geometries.count)
    func matchesTheEagerConvolutionalModel(geometry index: Int) throws {
        let c = Self.geometries[index]
        let sampleShape = [c.channels, 13, 12]
        let model = Self.withHead(Self.convolutional(channels: c.channels, padding: c.padding, stride: c.stride, dilation: c.dilation,
                                                     pool: c.pool.map { MaxPool2d($0.kernel, stride: $0.stride, padding: $0.padding, ceilMode: $0.ceil) }),
                                   sampleShape: sampleShape)
        model.eval()
        let plan = try InferencePlan(model, sampleShape: sampleShape)
        for batch in [1, 3, 1] {   // a new batch size makes new buffers; back to 1 makes them again
            let x = Tensor.randn([batch] + sampleShape, generator: RandomGenerator(seed: UInt64(batch)))
            let planned = plan(x)
            #expect(planned.shape == [batch, 3])
            #expect(planned.allClose(noGrad { model(x) }, rtol: 1e-4, atol: 1e-5), "\(c.name), batch \(batch)")
        }
    }

    @Test func foldsBatchNormAndRunsWithoutBiasOrReLU() throws {
        let sampleShape = [2, 10, 10]
        for (relu, bias) in [(true, false), (false, true)] {
            let body = Self.convolutional(channels: 2, padding: 1, pool: MaxPool2d(2), relu: relu, batchNorm: true, bias: bias)
            let model = Self.withHead(body, sampleShape: sampleShape)
            // Running statistics away from 0 and 1, so the fold has something to do.
            model.train()
            for seed in 0..<3 { _ = noGrad { model(Tensor.randn([8] + sampleShape, generator: RandomGenerator(seed: UInt64(seed))) * 3 + 1) } }
            model.eval()
            let plan = try InferencePlan(model, sampleShape: sampleShape)
            let x = Tensor.randn([4] + sampleShape, generator: RandomGenerator(seed: 9))
            #expect(plan(x).allClose(noGrad { model(x) }, rtol: 1e-4, atol: 1e-5), "relu \(relu) bias \(bias)")
        }
    }

    @Test func readsStridedInputAndPropagatesNaN() throws {
        let sampleShape = [3, 8, 8]
        let model = Self.withHead(Self.convolutional(channels: 3, pool: MaxPool2d(2)), sampleShape: sampleShape)
        model.eval()
        let plan = try InferencePlan(model, sampleShape: sampleShape)
        // A channels-last tensor seen as NCHW: strided input, read in place.
        let x = Tensor.randn([2, 8, 8, 3], generator: RandomGenerator(seed: 3)).permuted([0, 3, 1, 2])
        #expect(plan(x).allClose(noGrad { model(x) }, rtol: 1e-4, atol: 1e-5))
        var values = Tensor.randn([1] + sampleShape, generator: RandomGenerator(seed: 4)).scalars
        values[5] = .nan
        let poisoned = Tensor(values, shape: [1] + sampleShape)
        #expect(plan(poisoned).scalars.allSatisfy { $0.isNaN })
        #expect(noGrad { model(poisoned) }.scalars.allSatisfy { $0.isNaN })
    }

    @Test func keepsTheWeightsItWasMadeWith() throws {
        let model = Self.chain()
        model.eval()
        let plan = try InferencePlan(model)
        let x = Tensor.randn([2, 12], generator: RandomGenerator(seed: 6))
        let before = noGrad { model(x) }
        for p in model.parameters() { noGrad { p.assign(p * 0.5) } }
        #expect(plan(x).allClose(before, rtol: 1e-5, atol: 1e-6))
        #expect(!plan(x).allClose(noGrad { model(x) }, rtol: 1e-3, atol: 1e-4))
    }

    @Test func refusesWhatItCannotRun() {
        let g = RandomGenerator(seed: 1)
        func refuses(_ model: Sequential, sampleShape: [Int]? = nil, _ comment: Comment) {
            model.eval()
            #expect(throws: InferencePlanError.self, comment) { try InferencePlan(model, sampleShape: sampleShape) }
        }
        refuses(Sequential { Linear(4, 4, generator: g); Tanh() }, "Tanh")
        refuses(Sequential { ReLU(); Linear(4, 4, generator: g) }, "a ReLU first")
        refuses(Sequential { Linear(4, 3, generator: g); Linear(4, 2, generator: g) }, "sizes that do not chain")
        refuses(Sequential { Conv2d(1, 2, kernelSize: 3, generator: g); Flatten(); Linear(18, 2, generator: g) }, "no sample shape")
        refuses(Sequential { Conv2d(2, 2, kernelSize: 3, groups: 2, generator: g); Flatten(); Linear(18, 2, generator: g) },
                sampleShape: [2, 5, 5], "groups")
        refuses(Sequential { Conv2d(1, 2, kernelSize: 3, generator: g); ReLU() }, sampleShape: [1, 5, 5], "ends in a convolution")
        refuses(Sequential { Conv2d(1, 2, kernelSize: 3, generator: g); AvgPool2d(2); Flatten(); Linear(2, 2, generator: g) },
                sampleShape: [1, 5, 5], "average pooling")
        refuses(Sequential { Conv2d(1, 2, kernelSize: 3, generator: g); Flatten(); Linear(18, 2, generator: g) },
                sampleShape: [2, 5, 5], "channels that do not match")
        // Still in training mode: dropout and batch statistics make the model differ from the chain; the self-check says so.
        #expect(throws: InferencePlanError.self) { try InferencePlan(Self.chain()) }
        let normalized = Sequential { Conv2d(1, 2, kernelSize: 3, generator: g); BatchNorm2d(2); Flatten(); Linear(18, 2, generator: g) }
        #expect(throws: InferencePlanError.self) { try InferencePlan(normalized, sampleShape: [1, 5, 5]) }
    }
}
