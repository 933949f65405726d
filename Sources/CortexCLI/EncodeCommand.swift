// `cortex encode`: the codes a trained autoencoder, VAE, RBM or DBN gives images — its learned features — as
// CSV (label first, then the code's values), for plotting, clustering or another model's input.
import ArgumentParser
import Cortex
import CortexRuns
import CortexModels
import Foundation

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Write the codes a trained ae, dae, vae, cvae, rbm, dbn or ssl gives images, as CSV (label, then the code).")

    @Option(name: .customLong("run"), help: "The run directory of the model.")
    var runDirectory: String

    @OptionGroup var source: DataOptions

    @Option(help: "Which split of the images: test or train.")
    var split = "test"

    @Option(help: "The CSV file to write (\"-\" for standard output).")
    var output = "-"

    func validate() throws {
        guard ["test", "train"].contains(split) else { throw ValidationError("--split must be test or train, not \(split)") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: runDirectory)
        let (config, model) = try GenerativeRunConfig.loadModel(from: directory)
        guard config.kind.encodes else { throw PlainError("a \(config.model) run has no encoder; encode with an ae, dae, vae, cvae, rbm, dbn or ssl run") }
        var options = source.exampleSource
        if options.data == nil { options.data = "fashion-mnist" }
        let data = try options.load()
        let set = split == "test" ? data.test! : data.train
        guard Array(set.inputs.shape.dropFirst()) == config.imageShape else {
            throw PlainError("the images are \(Array(set.inputs.shape.dropFirst())), the model was trained on \(config.imageShape)")
        }
        var lines: [String] = []
        let labels = set.targets.integers
        for start in stride(from: 0, to: set.count, by: 1000) {
            let end = min(start + 1000, set.count), x = set.inputs.sliced(0, start: start, end: end)
            let codes: Tensor = noGrad {
                switch model {
                case let ae as any Autoencoding: return ae.encode(x)
                case let vae as VariationalAutoencoder:
                    return vae.encode(x, labels: config.kind == .cvae ? set.targets.sliced(0, start: start, end: end) : nil).mean
                case let rbm as RBM: return rbm(x)
                case let dbn as DeepBeliefNetwork: return dbn(x)
                default: preconditionFailure("no encoder for \(type(of: model))")
                }
            }
            let width = codes.shape[1], values = codes.scalars
            if lines.isEmpty { lines.append((["label"] + (0..<width).map { "code_\($0)" }).joined(separator: ",")) }
            for row in 0..<(end - start) {
                lines.append(([String(labels[start + row])] + values[(row * width)..<((row + 1) * width)].map { String($0) }).joined(separator: ","))
            }
        }
        let text = lines.joined(separator: "\n") + "\n"
        if output == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
        } else {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw PlainError("cannot write \(output): \(plainDescription(error, namingPath: false))")
            }
            FileHandle.standardError.write(Data("\(set.count) codes of \(lines.first!.split(separator: ",").count - 1) values in \(output)\n".utf8))
        }
    }
}
