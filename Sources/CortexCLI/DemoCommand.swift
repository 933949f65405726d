// `cortex demo`: a first end-to-end run — a small network learns to separate three interleaved
// spirals with nothing but tensors, autograd and a hand-written gradient-descent loop.
import ArgumentParser
import Cortex
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Train a small network on three interleaved spirals and report test accuracy.")

    @Option(help: "Training epochs (full passes over the training points).")
    var epochs = 300

    @Option(help: "Random seed for data and weights.")
    var seed: UInt64 = 0

    func validate() throws {
        guard (1...100_000).contains(epochs) else { throw ValidationError("--epochs must be between 1 and 100000") }
    }

    func run() throws {
        let rng = RandomGenerator(seed: seed)
        let (trainX, trainY) = spirals(pointsPerClass: 200, generator: rng)
        let (testX, testY) = spirals(pointsPerClass: 100, generator: rng)
        // A 2-64-64-3 multilayer perceptron; Kaiming-style initial scales keep ReLU activations alive.
        let w1 = (Tensor.randn([64, 2], generator: rng) * Float(2.0 / 2).squareRoot()).requiringGrad()
        let b1 = Tensor.zeros([64]).requiringGrad()
        let w2 = (Tensor.randn([64, 64], generator: rng) * Float(2.0 / 64).squareRoot()).requiringGrad()
        let b2 = Tensor.zeros([64]).requiringGrad()
        let w3 = (Tensor.randn([3, 64], generator: rng) * Float(1.0 / 64).squareRoot()).requiringGrad()
        let b3 = Tensor.zeros([3]).requiringGrad()
        let parameters = [w1, b1, w2, b2, w3, b3]
        func model(_ x: Tensor) -> Tensor {
            let h1 = relu(linear(x, weight: w1, bias: b1))
            let h2 = relu(linear(h1, weight: w2, bias: b2))
            return linear(h2, weight: w3, bias: b3)
        }
        print("Cortex \(cortexVersion) demo: 3 spirals, 600 training / 300 test points, MLP 2-64-64-3")
        let start = Date()
        let learningRate: Float = 0.5
        var velocity = parameters.map { Tensor.zeros($0.shape) }
        for epoch in 1...epochs {
            let loss = crossEntropy(model(trainX), trainY)
            for p in parameters { p.grad = nil }
            loss.backward()
            // Gradient descent with momentum 0.9, written out so the update rule is visible.
            noGrad {
                for (i, p) in parameters.enumerated() {
                    guard let g = p.grad else { continue }
                    velocity[i] = velocity[i] * 0.9 + g
                    p.assign(p - velocity[i] * learningRate)
                }
            }
            if epoch == 1 || epoch % max(1, epochs / 10) == 0 || epoch == epochs {
                let accuracy = noGrad { Self.accuracy(model(trainX), trainY) }
                print(String(format: "epoch %4d  loss %.4f  train accuracy %.3f", epoch, loss.item(), accuracy))
            }
        }
        let testAccuracy = noGrad { Self.accuracy(model(testX), testY) }
        print(String(format: "test accuracy %.3f on %d unseen points (%.1f s)", testAccuracy, testY.count,
                     Date().timeIntervalSince(start)))
    }

    static func accuracy(_ logits: Tensor, _ labels: Tensor) -> Double {
        let predicted = logits.argmax(dim: 1).integers, truth = labels.integers
        return Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// Three arms of a spiral in the plane, one class each, with a little noise.
    func spirals(pointsPerClass n: Int, generator: RandomGenerator) -> (Tensor, Tensor) {
        var points: [Float] = [], labels: [Int] = []
        let noise = Tensor.randn([3 * n, 2], std: 0.1, generator: generator).scalars
        for c in 0..<3 {
            for i in 0..<n {
                let r = Float(i) / Float(n)
                let angle = Float(c) * 2 * .pi / 3 + r * 4
                let k = (c * n + i) * 2
                points += [r * cos(angle) + noise[k] * r, r * sin(angle) + noise[k + 1] * r]
                labels.append(c)
            }
        }
        return (Tensor(points, shape: [3 * n, 2]), Tensor(labels))
    }
}
