// `cortex predict`: run a trained model on new inputs (a CSV table or IDX images) and write its
// predictions as CSV.
import ArgumentParser
import Cortex
import CortexRuns
import CortexModels
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Predict with a trained run: CSV rows or IDX images in, a CSV of predictions out.")

    @Option(name: .customLong("run"), help: "The run directory written by `cortex train` or `cortex demo`.")
    var runDirectory: String

    @Option(help: "Inputs: a CSV table with the training table's columns (in any order; a target column and other extra columns are ignored), or an IDX image file (.gz or plain).")
    var input: String

    @Option(help: "Missing cells in a CSV table: error (the default), drop or mean (the training means and most frequent categories).")
    var missing: String?

    @Option(help: "Where to write the predictions (default: standard output).")
    var output: String?

    func validate() throws { try MissingOption.validate(missing) }

    func run() throws {
        let directory = URL(fileURLWithPath: runDirectory)
        let config = try RunConfig.read(from: directory)
        let model = try config.loadModel(from: directory)
        let url = URL(fileURLWithPath: input)
        try requireRegularFile(url, option: "--input")
        let inputs = try readModelInputs(url, config: config, missing: missing)
        // The planned path where the model is a chain InferencePlan takes (checked against the model when made): the
        // fastest Cortex has, several times the eager path on one row. Other models run eagerly.
        let plan = try? InferencePlan(model, sampleShape: config.inputShape)
        let outputs = noGrad { Tensor.cat(config.standardizeFeatures(inputs).split(256).map { plan?($0) ?? model($0) }) }
        var lines: [String]
        if config.isClassification {
            let names = config.classNames.isEmpty ? (0..<config.outputs).map(String.init) : config.classNames
            let probabilities = outputs.softmax(dim: 1)
            let predicted = outputs.argmax(dim: 1).integers
            lines = ["index,prediction," + names.map { csvField("p_" + $0) }.joined(separator: ",")]
            let rows = probabilities.scalars, k = config.outputs
            for (i, p) in predicted.enumerated() {
                let ps = rows[(i * k)..<((i + 1) * k)].map { String(format: "%.6f", $0) }
                lines.append("\(i),\(csvField(p < names.count ? names[p] : String(p))),\(ps.joined(separator: ","))")
            }
        } else {
            lines = ["index,prediction"] + config.targetValues(outputs).enumerated().map { "\($0.offset),\($0.element)" }
        }
        let text = lines.joined(separator: "\n") + "\n"
        if let output {
            do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw PlainError("cannot write predictions to \(output) (\(plainDescription(error, namingPath: false))): "
                               + "give an --output in an existing directory you can write to")
            }
            print("\(lines.count - 1) predictions written to \(output)")
        } else {
            print(text, terminator: "")
        }
    }

    /// A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote, CR or LF (a class name
    /// read from a quoted cell may), or starts or ends with a space, which a reader would trim.
    private func csvField(_ s: String) -> String {
        let needsQuotes = s.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
            || s.first == " " || s.last == " "
        return needsQuotes ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
