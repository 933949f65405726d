// A deep belief network (Hinton, Osindero & Teh, 2006): restricted Boltzmann machines stacked so that each
// one's visible layer is the hidden layer of the one below. Trained greedily — the bottom machine on the
// data, each next one on the hidden probabilities of those below — it is then either unrolled into an MLP
// whose weights start where the machines ended (and fine-tuned by backpropagation), or run as a
// generative model: Gibbs sampling in the top machine, then one pass down through the others.
import CortexCore

public final class DeepBeliefNetwork: Module, Layer {
    /// The machines from the data upwards: machines[i] has sizes[i] visible and sizes[i + 1] hidden units.
    public let machines: [RBM]

    /// `sizes` from the data's width to the top layer's, e.g. [784, 256, 64]. The bottom machine's visible units
    /// are of `visibleUnits`; every layer above is binary (hidden probabilities feed the next machine).
    public init(sizes: [Int], visibleUnits: VisibleUnits = .bernoulli, persistentChains: Int = 0, seed: UInt64 = 0) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "DeepBeliefNetwork: needs at least two positive layer sizes, got \(sizes)")
        machines = (0..<(sizes.count - 1)).map { i in
            RBM(visible: sizes[i], hidden: sizes[i + 1], visibleUnits: i == 0 ? visibleUnits : .bernoulli,
                persistentChains: persistentChains, seed: seed &+ UInt64(i) &* 1_000_003)
        }
        super.init()
    }

    public var sizes: [Int] { [machines[0].visibleCount] + machines.map(\.hiddenCount) }

    /// The data passed up through the first `count` machines (hidden probabilities), (batch, sizes[count]).
    public func upward(_ input: Tensor, through count: Int) -> Tensor {
        precondition(count >= 0 && count <= machines.count, "DeepBeliefNetwork.upward: \(count) of \(machines.count) machines")
        var x = input.flattened(from: 1)
        for machine in machines.prefix(count) { x = machine.hiddenProbabilities(x) }
        return x
    }

    /// The top layer's probabilities given the data: the network as a feature extractor.
    public func callAsFunction(_ input: Tensor) -> Tensor { upward(input, through: machines.count) }

    /// What machine `index` trains on: the inputs of `data` passed up through the machines below it, with the
    /// same targets. Computed once per layer, in batches, with nothing recorded.
    public func trainingData(for index: Int, from data: TensorDataset, batchSize: Int = 1024) -> TensorDataset {
        precondition(index >= 0 && index < machines.count, "DeepBeliefNetwork.trainingData: no machine \(index)")
        if index == 0 { return TensorDataset(inputs: data.inputs.flattened(from: 1), targets: data.targets) }
        let count = data.count
        let parts = stride(from: 0, to: count, by: batchSize).map { start in
            noGrad { upward(data.inputs.sliced(0, start: start, end: min(start + batchSize, count)), through: index) }
        }
        return TensorDataset(inputs: Tensor.cat(parts, dim: 0), targets: data.targets)
    }

    /// An MLP initialised from the machines — Linear(sizes[i] → sizes[i + 1]) with machine i's weight and hidden
    /// bias, then a sigmoid, for every machine — followed by a new Linear head of `outputs` units (seeded). Its
    /// sigmoids compute exactly the probabilities the machines pass up, so before fine-tuning its hidden layers
    /// are the network's features.
    public func unrolled(outputs: Int, seed: UInt64 = 0) -> Sequential {
        precondition(outputs > 0, "DeepBeliefNetwork.unrolled: outputs must be positive, got \(outputs)")
        var layers: [any Layer] = [Flatten()]
        for machine in machines {
            let layer = Linear(machine.visibleCount, machine.hiddenCount)
            noGrad {
                layer.weight.assign(machine.weight)
                layer.bias!.assign(machine.hiddenBias)
            }
            layers += [layer, Sigmoid()] as [any Layer]
        }
        layers.append(Linear(machines.last!.hiddenCount, outputs, generator: RandomGenerator(seed: seed)))
        return Sequential(layers)
    }

    /// `count` samples of the data: the top machine's chains run `gibbsSteps` from random binary states, then its
    /// visible sample goes down through the lower machines as means (the usual generative pass), so the result
    /// is pixel intensities, (count, sizes[0]).
    public func sample(count: Int, gibbsSteps: Int = 200, generator: RandomGenerator) -> Tensor {
        precondition(count > 0 && gibbsSteps > 0, "DeepBeliefNetwork.sample: count and gibbsSteps must be positive")
        return noGrad {
            let top = machines.last!
            let start = Tensor.bernoulli([count, top.visibleCount], probability: 0.5, generator: generator)
            var x = top.gibbs(from: start, steps: gibbsSteps, generator: generator)
            // The top chain's last visible layer is binary; its means carry less noise down.
            x = top.visibleMeans(top.hiddenProbabilities(x))
            for machine in machines.dropLast().reversed() { x = machine.visibleMeans(x) }
            return x
        }
    }
}
