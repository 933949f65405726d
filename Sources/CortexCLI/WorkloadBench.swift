// `cortex bench workload NAME`: one of the workloads Benchmarks/compare.sh runs side by side with PyTorch, JAX
// and ONNX Runtime (Benchmarks/workloads.py is their side), one per process so each reports its own peak
// memory. Training workloads run Adam on random data; inference workloads time one sample at a time.
import ArgumentParser
import Cortex
import CortexModels
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process's peak resident memory so far, in MiB.
func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024   // Linux reports KiB
}

struct WorkloadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload",
        abstract: "One comparison workload: training throughput, batch-1 inference latency or MiniLM sentences/s (compare with Benchmarks/workloads.py; Benchmarks/compare.sh runs them all).")

    static let names = ["mlp", "cnn", "lstm", "gpt", "mlp-infer", "cnn-infer", "minilm"]

    @Argument(help: """
        mlp (784-512-256-10, batch 128), cnn (conv 1→32 3×3, pool, conv 32→64 3×3, pool, fc 1600→128, fc 128→10, batch 64), \
        lstm (Embedding(65, 64) → LSTM(64, 256) → Linear(256, 65), batch 32 × 64), gpt (d 128, 4 pre-norm blocks, 4 heads, FFN 512, \
        64 positions, batch 16 × 64), mlp-infer / cnn-infer (those two models, one sample per call) or minilm (all-MiniLM-L6-v2, batch 32).
        """)
    var workload: String

    @Option(help: "Seconds to measure (after a warm-up).")
    var seconds: Double = 5

    @OptionGroup var encoder: EncoderOption

    func validate() throws {
        guard Self.names.contains(workload) else { throw ValidationError("workload must be one of \(Self.names.joined(separator: ", "))") }
        guard seconds > 0 && seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
    }

    /// The MLP of the comparison: 784-512-256-10 with ReLU.
    static func mlp() -> MLP { MLP(inputSize: 784, hiddenSizes: [512, 256], outputSize: 10) }

    /// The CNN of the comparison, as the performance issue states it (no padding, no normalisation).
    static func cnn() -> Sequential {
        let g = RandomGenerator(seed: 0)
        return Sequential {
            Conv2d(1, 32, kernelSize: 3, generator: g); ReLU(); MaxPool2d(2)
            Conv2d(32, 64, kernelSize: 3, generator: g); ReLU(); MaxPool2d(2)
            Flatten(); Linear(1600, 128, generator: g); ReLU(); Linear(128, 10, generator: g)
        }
    }

    func run() throws {
        print("cortex \(cortexVersion), \(computeSummary), OpenBLAS kernel \(blasKernelName), workload \(workload)")
        switch workload {
        case "minilm": try embeddings()
        case "mlp-infer": try planned(Self.mlp(), input: [1, 784])
        case "cnn-infer": try planned(Self.cnn(), input: [1, 1, 28, 28])
        case "mlp": training(Self.mlp(), input: [128, 784], classes: 10)
        case "cnn": training(Self.cnn(), input: [64, 1, 28, 28], classes: 10)
        default: languageModel()
        }
    }

    /// Runs `step` once to warm up, then for `seconds`; returns steps per second.
    func measure(_ step: () -> Void) -> (rate: Double, steps: Int, elapsed: Double) {
        step()
        var steps = 0
        let start = Date()
        while Date().timeIntervalSince(start) < seconds { step(); steps += 1 }
        let elapsed = Date().timeIntervalSince(start)
        return (Double(steps) / elapsed, steps, elapsed)
    }

    /// The line compare.sh reads, after a line for people.
    func report(_ value: Double, _ unit: String, _ detail: String) {
        let peak = peakMemoryMiB()
        print(String(format: "%@: %.1f %@ (%@), peak memory %.0f MiB", workload, value, unit, detail, peak))
        print(String(format: "RESULT %@ %.3f %@ %.1f", workload, value, unit, peak))
    }

    func training(_ model: any Layer, input shape: [Int], classes: Int) {
        let optimizer = Adam(model.parameters(), learningRate: 1e-3)
        let generator = RandomGenerator(seed: 1)
        let x = Tensor.rand(shape, generator: generator), y = Tensor.randint(0, classes, [shape[0]], generator: generator)
        let (rate, steps, elapsed) = measure {
            let loss = crossEntropy(model(x), y)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            _ = loss.item()
        }
        report(rate * Double(shape[0]), "samples/s", String(format: "%d steps of %d in %.1f s", steps, shape[0], elapsed))
    }

    /// Batch-1 inference through an InferencePlan, the counterpart of an ONNX Runtime session.
    func planned(_ model: some Module & Layer, input shape: [Int]) throws {
        model.eval()
        let plan = try InferencePlan(model, sampleShape: Array(shape.dropFirst()))
        let x = Tensor.rand(shape, generator: RandomGenerator(seed: 1))
        let (rate, steps, elapsed) = measure { _ = plan(x) }
        report(1e6 / rate, "us", String(format: "%d calls in %.1f s, InferencePlan", steps, elapsed))
    }

    func languageModel() {
        let vocabulary = 65
        let (model, batch): (any LanguageModel, Int) = workload == "lstm"
            ? (CharLSTM(vocabularySize: vocabulary, embeddingSize: 64, hiddenSize: 256, seed: 0), 32)
            : (GPT(vocabularySize: vocabulary, contextLength: 64, dModel: 128, heads: 4, layers: 4, feedForward: 512, seed: 0), 16)
        let optimizer = Adam(model.parameters(), learningRate: 1e-3)
        let tokens = Tensor.randint(0, vocabulary, [batch, 65], generator: RandomGenerator(seed: 1))
        let input = tokens.sliced(1, start: 0, end: 64).contiguous(), target = tokens.sliced(1, start: 1, end: 65).contiguous()
        let (rate, steps, elapsed) = measure {
            let loss = crossEntropy(model(input).reshaped([-1, vocabulary]), target.reshaped([-1]))
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            _ = loss.item()
        }
        report(rate * Double(batch * 64), "tokens/s", String(format: "%d steps of %d × 64 in %.1f s", steps, batch, elapsed))
    }

    func embeddings() throws {
        let model = try encoder.load()
        let sentences = [
            "Deep learning models learn from examples.",
            "Convolutional Neural Networks (CNNs) are very good at processing pictures and videos.",
            "Recurrent neural networks remember earlier steps to predict the next word, sound, or number.",
            "Transformers concentrate on key textual elements to comprehend context.",
            "The loss function measures the difference between the model's estimate and the right response!",
            "Optimizers use the loss function to modify weights in the network — step by step.",
            "Café, naïve façade: accents should be stripped by the uncased tokenizer.",
            "Is it overfitting?? Use regularization, more data, or simpler models...",
        ]
        let batch = (0..<32).map { sentences[$0 % sentences.count] }
        let (rate, steps, elapsed) = measure { _ = model.encode(batch, batchSize: 32) }
        report(rate * 32, "sentences/s", String(format: "batch 32, %d sentences in %.1f s", steps * 32, elapsed))
    }
}
