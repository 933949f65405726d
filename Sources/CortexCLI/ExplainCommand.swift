// `cortex explain`: why a trained model gave the answers it gave, as one HTML page — for images, each attribution
// method's map over each image (with integrated gradients' completeness and the class activation maps' share on the item); for
// table rows, each feature's integrated-gradients attribution against the average row.
import ArgumentParser
import Cortex
import CortexModels
import CortexReport
import Foundation

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a trained run's predictions for given inputs: an HTML page of attribution maps (images) or feature attributions (table rows).")

    @Option(name: .customLong("run"), help: "The run directory written by `cortex train` or `cortex demo`.")
    var runDirectory: String

    @Option(help: "Inputs: an IDX image file (.gz or plain) or a CSV table with the training table's columns.")
    var input: String

    @Option(help: "Attribution methods, comma-separated, for images: saliency, smoothgrad, integrated-gradients, grad-cam and hirescam (convolutional models), occlusion; all by default. Table rows always get integrated gradients.")
    var method: String?

    @Option(help: "Explain this class (index or name) instead of each input's predicted class.")
    var `class`: String?

    @Option(help: "How many inputs to explain, from the first.")
    var count = 8

    @Option(help: "Missing cells in a CSV table: error (the default), drop or mean.")
    var missing: String?

    @Option(help: "Where to write the page (default: RUN/explain.html).")
    var output: String?

    func validate() throws {
        guard (1...256).contains(count) else { throw ValidationError("--count must be between 1 and 256") }
        try MissingOption.validate(missing)
        if let method {
            for name in method.split(separator: ",").map(String.init) where !ModelInsight.methods.contains(name) {
                throw ValidationError("--method: unknown method '\(name)'; the methods are \(ModelInsight.methods.joined(separator: ", "))")
            }
        }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: runDirectory)
        let config = try RunConfig.read(from: directory)
        guard config.isClassification else { throw CLIError("cortex explain explains classifiers; the run in \(runDirectory) is a regression") }
        let model = try config.loadModel(from: directory)
        let url = URL(fileURLWithPath: input)
        try requireRegularFile(url, option: "--input")
        let all = try readModelInputs(url, config: config, missing: missing)
        guard all.shape[0] > 0 else { throw CLIError("\(input) holds no inputs") }
        let inputs = config.standardizeFeatures(all.sliced(0, start: 0, end: min(count, all.shape[0])))
        let names = config.classNames.isEmpty ? (0..<config.outputs).map(String.init) : config.classNames
        let probabilities = noGrad { model(inputs).softmax(dim: 1) }
        let predicted = probabilities.argmax(dim: 1).integers
        let targets = try Array(repeating: explainedClass(names), count: predicted.count).enumerated().map { $1 ?? predicted[$0] }
        let p = probabilities.scalars, k = config.outputs
        func label(_ c: Int) -> String { c < names.count ? names[c] : "class \(c)" }

        var sections: [ApplicationReport.Section] = []
        var summary = [ReportItem("Run", directory.lastPathComponent), ReportItem("Model", config.model),
                       ReportItem("Inputs", "\(predicted.count) of \(all.shape[0]) in \(url.lastPathComponent)")]
        if config.inputShape.count == 3 {
            let isConvolutional = ((model as? any LayerChain)?.chain ?? []).contains { $0.layer is Conv2d }
            let methods = method.map { $0.split(separator: ",").map(String.init) }
                ?? ModelInsight.methods.filter { isConvolutional || !ModelInsight.mapMethods.contains($0) }
            if let map = methods.first(where: ModelInsight.mapMethods.contains), !isConvolutional {
                throw CLIError("--method \(map) needs a convolutional model; this run's is \(config.model)")
            }
            summary.append(ReportItem("Methods", methods.map(ModelInsight.methodTitle).joined(separator: ", ")))
            let figure = try ModelInsight.attributionFigure(model: model, images: inputs, targets: targets, methods: methods,
                                                            title: "Attribution maps", caption: "Each input, then each method's map for the class explained.",
                                                            classNames: names)
            // Checks a reader can hold the maps to: integrated gradients' completeness, and where Grad-CAM's mass lies.
            let ig = Attribution.integratedGradients(model.callAsFunction, inputs: inputs, targets: targets, steps: 64)
            let cams = isConvolutional ? try ["grad-cam", "hirescam"].map { try mapShares($0, model, inputs, targets) } : []
            let rows = predicted.indices.map { i -> [String] in
                var row = ["\(i)", String(format: "%@ (%.3f)", label(predicted[i]), p[i * k + predicted[i]]), label(targets[i]),
                           String(format: "%.2f%%", 100 * ig.completenessError[i])]
                for shares in cams {
                    row.append(shares[i].map { String(format: "%.0f%% (item %.0f%% of the image)", 100 * $0.share, 100 * $0.area) } ?? "no positive map")
                }
                return row
            }
            sections.append(.init("Why", note: "Red: the pixel raised the explained class's score; blue: it lowered it. Saliency and SmoothGrad show the gradient's size; integrated gradients (64 steps from a black image) add up to the change in score; Grad-CAM weighs the last convolutional block's channels by their mean gradient, HiResCAM each position by its own; occlusion measures the fall in score when a patch is blacked out.",
                                  [.figure(figure)]))
            sections.append(.init("Checks", note: "Integrated gradients' completeness error: |Σ attributions − (score(x) − score(black))| / |score(x) − score(black)|, under 1% when the path integral is accurate. The class activation maps' share: their mass on the item's pixels (above 0.1), against the share of the image the item covers (what a map spread evenly would put there).",
                                  [.table(header: ["input", "predicted (probability)", "explained", "IG completeness error"]
                                          + (isConvolutional ? ["Grad-CAM mass on the item", "HiResCAM mass on the item"] : []), rows: rows)]))
        } else {
            // Table rows: integrated gradients from the training mean (zero after standardisation).
            let features = config.featureNames.isEmpty ? (0..<inputs.shape[1]).map { "feature \($0)" } : config.featureNames
            let ig = Attribution.integratedGradients(model.callAsFunction, inputs: inputs, targets: targets, steps: 64)
            let values = ig.attributions.scalars, width = inputs.shape[1], raw = all.scalars
            var blocks: [ApplicationReport.Block] = []
            for i in predicted.indices {
                let order = (0..<width).sorted { abs(values[i * width + $0]) > abs(values[i * width + $1]) }.prefix(8)
                blocks.append(.paragraph(String(format: "Row %d: predicted %@ (%.3f); explaining %@; completeness error %.2f%%.", i, label(predicted[i]),
                                                p[i * k + predicted[i]], label(targets[i]), 100 * ig.completenessError[i])))
                blocks.append(.table(header: ["feature", "value", "attribution"], rows: order.map { j in
                    [features[j], String(format: "%.4g", raw[i * width + j]), String(format: "%+.4f", values[i * width + j])]
                }))
            }
            sections.append(.init("Why", note: "For each row, the eight features with the largest integrated-gradients attribution (64 steps from the training mean row): positive values pushed the explained class's score up, negative down; together they add up to the score's change from the mean row.", blocks))
        }
        let page = ApplicationReport(title: "Why \(config.model) predicted what it did", kicker: "Cortex explanation", summary: summary, sections: sections)
        let file = output.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("explain.html")
        try page.write(to: file)
        print("explained \(predicted.count) input(s): \(file.path)")
    }

    /// The class --class names (by index or name), or nil for each input's predicted class.
    func explainedClass(_ names: [String]) throws -> Int? {
        guard let text = `class` else { return nil }
        if let index = Int(text), names.indices.contains(index) { return index }
        if let index = names.firstIndex(where: { $0.lowercased() == text.lowercased() }) { return index }
        throw CLIError("--class \(text): the run's classes are 0…\(names.count - 1) (\(names.joined(separator: ", ")))")
    }

    /// Per image: a class activation map's share of mass on the item's pixels (above 0.1) and the item's share of the
    /// image (nil where the map is zero everywhere or the image is blank).
    func mapShares(_ method: String, _ model: any Layer, _ images: Tensor, _ targets: [Int]) throws -> [(share: Float, area: Float)?] {
        let maps = try ModelInsight.attributions(method, model: model, images: images, targets: targets)
        let (h, w) = (images.size(-2), images.size(-1))
        let gray = noGrad { images.mean(dim: 1) }.scalars
        return maps.enumerated().map { i, map in
            let image = gray[i * h * w..<(i + 1) * h * w].map { $0 }
            let item = image.indices.filter { image[$0] > 0.1 }
            let total = map.reduce(0, +)
            guard total > 0, !item.isEmpty else { return nil }
            return (item.reduce(0) { $0 + map[$1] } / total, Float(item.count) / Float(h * w))
        }
    }
}
