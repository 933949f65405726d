// `cortex predict`: run a trained model on new inputs (a CSV table or IDX images) and write its
// predictions as CSV.
import ArgumentParser
import Cortex
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Predict with a trained run: CSV rows or IDX images in, a CSV of predictions out.")

    @Option(name: .customLong("run"), help: "The run directory written by `cortex train`.")
    var runDirectory: String

    @Option(help: "Inputs: a CSV table with the training features' columns, or an IDX image file (.gz or plain).")
    var input: String

    @Option(help: "Where to write the predictions (default: standard output).")
    var output: String?

    func run() throws {
        let directory = URL(fileURLWithPath: runDirectory)
        let config = try RunConfig.read(from: directory)
        let model = try config.loadModel(from: directory)
        let url = URL(fileURLWithPath: input)
        let inputs = try readInputs(url, config: config)
        let outputs = noGrad { Tensor.cat(config.standardizeFeatures(inputs).split(256).map { model($0) }) }
        var lines: [String]
        if config.isClassification {
            let names = config.classNames.isEmpty ? (0..<config.outputs).map(String.init) : config.classNames
            let probabilities = outputs.softmax(dim: 1)
            let predicted = outputs.argmax(dim: 1).integers
            lines = ["index,prediction," + names.map { "p_" + csvField($0) }.joined(separator: ",")]
            let rows = probabilities.scalars, k = config.outputs
            for (i, p) in predicted.enumerated() {
                let ps = rows[(i * k)..<((i + 1) * k)].map { String(format: "%.6f", $0) }
                lines.append("\(i),\(csvField(names[p])),\(ps.joined(separator: ","))")
            }
        } else {
            lines = ["index,prediction"] + config.targetValues(outputs).enumerated().map { "\($0.offset),\($0.element)" }
        }
        let text = lines.joined(separator: "\n") + "\n"
        if let output {
            do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw CLIError("\(output): cannot write predictions (\(error.localizedDescription))")
            }
            print("\(lines.count - 1) predictions written to \(output)")
        } else {
            print(text, terminator: "")
        }
    }

    /// IDX images (detected by their magic number) or CSV rows with the training features.
    func readInputs(_ url: URL, config: RunConfig) throws -> Tensor {
        guard let head = FileHandle(forReadingAtPath: url.path)?.readData(ofLength: 4) else {
            throw CLIError("\(url.path): cannot open the file")
        }
        let bytes = [UInt8](head)
        let isGzip = bytes.starts(with: [0x1f, 0x8b]), isIDX = bytes.count == 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08
        if isGzip || isIDX {
            let raw = try IDX.read(contentsOf: url)
            guard raw.rank == 3 else { throw CLIError("\(url.path): expected an IDX image file (count × height × width), got shape \(raw.shape)") }
            let images = raw.to(.float32).unsqueezed(1) / 255
            guard Array(images.shape.dropFirst()) == config.inputShape else {
                throw CLIError("\(url.path): images of shape \(Array(images.shape.dropFirst())) but the model expects \(config.inputShape)")
            }
            return images
        }
        let table = try CSVTable.read(contentsOf: url)
        guard table.featureNames == config.featureNames else {
            let missing = config.featureNames.filter { !table.featureNames.contains($0) }
            let extra = table.featureNames.filter { !config.featureNames.contains($0) }
            throw CLIError("\(url.path): columns differ from the training table (missing \(missing.prefix(5)), unexpected \(extra.prefix(5)))")
        }
        return table.features
    }

    private func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
