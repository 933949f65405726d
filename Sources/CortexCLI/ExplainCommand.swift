// `cortex explain`: why a trained model gave the answers it gave, as one HTML page — for images, each attribution
// method's map over each image (with integrated gradients' completeness and the class activation maps' share on the
// item); for table rows, each feature's integrated-gradients attribution against the average row; for a sentence,
// the pretrained MiniLM's attention maps, layer by layer and head by head.
import ArgumentParser
import Cortex
import CortexRuns
import CortexModels
import CortexReport
import Foundation

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a trained run's predictions for given inputs: an HTML page of attribution maps (images) or feature attributions (table rows); or, with --text, MiniLM's attention maps for a sentence.")

    @Option(name: .customLong("run"), help: "The run directory written by `cortex train` or `cortex demo`.")
    var runDirectory: String?

    @Option(help: "Inputs: an IDX image file (.gz or plain) or a CSV table with the training table's columns.")
    var input: String?

    @Option(help: "A sentence whose attention maps in the pretrained MiniLM to show (instead of --run and --input).")
    var text: String?

    @OptionGroup var encoder: EncoderOption

    @Option(help: "Attribution methods, comma-separated, for images: saliency, smoothgrad, integrated-gradients, grad-cam and hirescam (convolutional models), occlusion; all by default. Table rows always get integrated gradients.")
    var method: String?

    @Option(help: "Explain this class (index or name) instead of each input's predicted class.")
    var `class`: String?

    @Option(help: "How many inputs to explain, from the first.")
    var count = 8

    @Option(help: "Missing cells in a CSV table: error (the default), drop or mean.")
    var missing: String?

    @Option(help: "Where to write the page (default: RUN/explain.html; attention.html for --text).")
    var output: String?

    func validate() throws {
        if text != nil {
            guard runDirectory == nil && input == nil else { throw ValidationError("--text explains the pretrained MiniLM; give it without --run and --input") }
        } else if runDirectory == nil || input == nil {
            throw ValidationError("give --run and --input (a trained run and the inputs to explain), or --text")
        }
        guard (1...256).contains(count) else { throw ValidationError("--count must be between 1 and 256") }
        try MissingOption.validate(missing)
        if let method {
            for name in method.split(separator: ",").map(String.init) where !ModelInsight.methods.contains(name) {
                throw ValidationError("--method: unknown method '\(name)'; the methods are \(ModelInsight.methods.joined(separator: ", "))")
            }
        }
    }

    func run() throws {
        if let text { return try explainAttention(text) }
        guard let runDirectory, let input else { return }
        let directory = URL(fileURLWithPath: runDirectory)
        let config = try RunConfig.read(from: directory)
        guard config.isClassification else { throw PlainError("cortex explain explains classifiers; the run in \(runDirectory) is a regression") }
        let model = try config.loadModel(from: directory)
        let url = URL(fileURLWithPath: input)
        try requireRegularFile(url, option: "--input")
        let all = try readModelInputs(url, config: config, missing: missing)
        guard all.shape[0] > 0 else { throw PlainError("\(input) holds no inputs") }
        let inputs = config.standardizeFeatures(all.sliced(0, start: 0, end: min(count, all.shape[0])))
        let names = config.classNames.isEmpty ? (0..<config.outputs).map(String.init) : config.classNames
        let probabilities = noGrad { model(inputs).softmax(dim: 1) }
        let predicted = probabilities.argmax(dim: 1).integers
        let targets = try Array(repeating: explainedClass(names), count: predicted.count).enumerated().map { $1 ?? predicted[$0] }
        let p = probabilities.scalars, k = config.outputs
        func label(_ c: Int) -> String { c < names.count ? names[c] : "class \(c)" }

        var sections: [ApplicationReport.Section] = []
        var summary = [ReportItem("Run", directory.lastPathComponent), ReportItem("Model", config.model.description),
                       ReportItem("Inputs", "\(predicted.count) of \(all.shape[0]) in \(url.lastPathComponent)")]
        if config.inputShape.count == 3 {
            let isConvolutional = ((model as? any LayerChain)?.chain ?? []).contains { $0.layer is Conv2d }
            let methods = method.map { $0.split(separator: ",").map(String.init) }
                ?? ModelInsight.methods.filter { isConvolutional || !ModelInsight.mapMethods.contains($0) }
            if let map = methods.first(where: ModelInsight.mapMethods.contains), !isConvolutional {
                throw PlainError("--method \(map) needs a convolutional model; this run's is \(config.model)")
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

    /// MiniLM's attention for one sentence: each layer's map averaged over its heads, then every head of every layer.
    func explainAttention(_ text: String) throws {
        let sentenceEncoder = try encoder.load()
        let ids = sentenceEncoder.ids(text)
        guard ids.count > 2 else { throw PlainError("--text holds no words") }
        let tokens = ["[CLS]"] + sentenceEncoder.tokenizer.tokenize(text).prefix(ids.count - 2) + ["[SEP]"]
        sentenceEncoder.model.eval()
        let maps = sentenceEncoder.model.attentionMaps(Tensor(ids, shape: [1, ids.count]))
        let n = ids.count, heads = maps[0].shape[1]
        // Each map as a picture, white for no attention and black for all of it, one pixel per (query, key).
        func picture(_ values: ArraySlice<Float>) -> ReportPicture { ReportPicture(pixels: values.map { 1 - $0 }, width: n, height: n) }
        let averaged = maps.map { map in noGrad { map.mean(dim: 1) }.scalars }
        let scale = max(2, 240 / n)
        var blocks: [ApplicationReport.Block] = [.paragraph("Tokens, in the order of every map's rows (queries) and columns (keys): " + tokens.joined(separator: " · "))]
        blocks.append(.figure(ReportFigure(title: "Layers 1–\(maps.count), averaged over heads",
                                           caption: "Row i shows how much token i drew from each token (darker is more).",
                                           picture: .tiled(averaged.map { picture($0[...]) }, columns: min(3, maps.count), gap: 1), scale: scale)))
        for (layer, map) in maps.enumerated() {
            let values = map.scalars
            let tiles = (0..<heads).map { h in picture(values[(h * n * n)..<((h + 1) * n * n)]) }
            blocks.append(.figure(ReportFigure(title: "Layer \(layer + 1), heads 1–\(heads)", caption: "", picture: .tiled(tiles, columns: 6, gap: 1),
                                               scale: max(1, scale / 2))))
        }
        // Where each token looks most in the last layer (averaged over heads), in words.
        let last = averaged[averaged.count - 1]
        let rows = (0..<n).map { i -> [String] in
            let row = Array(last[(i * n)..<((i + 1) * n)])
            let top = row.indices.sorted { row[$0] > row[$1] }.prefix(3)
            return [tokens[i]] + top.map { String(format: "%@ %.2f", tokens[$0], row[$0]) }
        }
        blocks.append(.table(header: ["token", "attends most to", "second", "third"], rows: rows))
        let page = ApplicationReport(title: "MiniLM's attention", kicker: "Cortex explanation",
                                     summary: [ReportItem("Text", text), ReportItem("Tokens", "\(n)"), ReportItem("Layers × heads", "\(maps.count) × \(heads)")],
                                     sections: [.init("Attention maps", note: "all-MiniLM-L6-v2's self-attention weights for this sentence, from BertModel.attentionMaps.", blocks)])
        let file = URL(fileURLWithPath: output ?? "attention.html")
        try page.write(to: file)
        print("attention maps of \(n) tokens in \(maps.count) layers × \(heads) heads: \(file.path)")
    }

    /// The class --class names (by index or name), or nil for each input's predicted class.
    func explainedClass(_ names: [String]) throws -> Int? {
        guard let text = `class` else { return nil }
        if let index = Int(text), names.indices.contains(index) { return index }
        if let index = names.firstIndex(where: { $0.lowercased() == text.lowercased() }) { return index }
        throw PlainError("--class \(text): the run's classes are 0…\(names.count - 1) (\(names.joined(separator: ", ")))")
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
