// `cortex bench lstm|gpt|minilm`: the sequence workloads of Benchmarks/sequence_torch.py, one per process
// so each reports its own peak memory: LSTM and GPT language-model training throughput on random tokens
// (Adam), and MiniLM sentence-embedding throughput on the reference sentences.
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

struct SequenceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequence",
        abstract: "Training tokens/s of an LSTM and a GPT language model, or MiniLM sentences/s (compare with Benchmarks/sequence_torch.py).")

    @Argument(help: "lstm (Embedding(65, 64) → LSTM(64, 256) → Linear(256, 65), batch 32 × 64), gpt (d 128, 4 pre-norm blocks, 4 heads, FFN 512, 64 positions, batch 16 × 64) or minilm (all-MiniLM-L6-v2, batch 32).")
    var workload: String

    @Option(help: "Seconds to measure (after one warm-up step).")
    var seconds: Double = 5

    @OptionGroup var encoder: EncoderOption

    func validate() throws {
        guard ["lstm", "gpt", "minilm"].contains(workload) else { throw ValidationError("workload must be lstm, gpt or minilm") }
        guard seconds > 0 && seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
    }

    func run() throws {
        print("cortex \(cortexVersion), \(Threads.count) threads, workload \(workload)")
        if workload == "minilm" { return try embeddings() }
        let vocabulary = 65
        let (model, batch): (any LanguageModel, Int) = workload == "lstm"
            ? (CharLSTM(vocabularySize: vocabulary, embeddingSize: 64, hiddenSize: 256, seed: 0), 32)
            : (GPT(vocabularySize: vocabulary, contextLength: 64, dModel: 128, heads: 4, layers: 4, feedForward: 512, seed: 0), 16)
        let optimizer = Adam(model.parameters(), learningRate: 1e-3)
        let generator = RandomGenerator(seed: 1)
        let tokens = Tensor.randint(0, vocabulary, [batch, 65], generator: generator)
        let input = tokens.sliced(1, start: 0, end: 64).contiguous(), target = tokens.sliced(1, start: 1, end: 65).contiguous()
        func step() {
            let loss = crossEntropy(model(input).reshaped([-1, vocabulary]), target.reshaped([-1]))
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            _ = loss.item()
        }
        step()
        var steps = 0
        let start = Date()
        while Date().timeIntervalSince(start) < seconds { step(); steps += 1 }
        let elapsed = Date().timeIntervalSince(start)
        print(String(format: "%@: %.0f tokens/s training (%d steps of %d × 64 in %.1f s), peak memory %.0f MiB",
                     workload, Double(steps * batch * 64) / elapsed, steps, batch, elapsed, peakMemoryMiB()))
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
        _ = model.encode(batch)
        var count = 0
        let start = Date()
        while Date().timeIntervalSince(start) < seconds { _ = model.encode(batch, batchSize: 32); count += batch.count }
        let elapsed = Date().timeIntervalSince(start)
        print(String(format: "minilm: %.1f sentences/s (batch 32, %d sentences in %.1f s), peak memory %.0f MiB",
                     Double(count) / elapsed, count, elapsed, peakMemoryMiB()))
    }
}
