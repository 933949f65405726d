// What a trained classifier learned, as report figures and tables: for images, the first layer's filters, the
// feature maps of each convolutional block, why the model predicted what it did (saliency, SmoothGrad, integrated
// gradients, Grad-CAM, occlusion), the test images that most excite units of the last block, and maps of the
// penultimate layer (PCA and t-SNE) coloured by class; for tables, permutation importance. Shared by the run
// report's "What the model learned" section and `cortex explain`.
import Cortex
import CortexReport
import Foundation

package enum ModelInsight {
    /// The attribution methods `cortex explain` offers, in the order their columns appear.
    package static let methods = ["saliency", "smoothgrad", "integrated-gradients", "grad-cam", "hirescam", "occlusion"]
    /// The methods that need a convolutional feature map.
    package static let mapMethods: Set<String> = ["grad-cam", "hirescam"]

    package static func methodTitle(_ method: String) -> String {
        ["saliency": "saliency |∂y/∂x|", "smoothgrad": "SmoothGrad", "integrated-gradients": "integrated gradients",
         "grad-cam": "Grad-CAM", "hirescam": "HiResCAM", "occlusion": "occlusion"][method] ?? method
    }

    /// The chain index of the last ReLU whose output is a (N, C, h, w) map: where Grad-CAM and the top-activation
    /// grid look. Nil for a model without convolutions.
    package static func lastConvolutionalReLU(_ chain: any LayerChain, example: Tensor) -> Int? {
        let outputs = chain.activations(example)
        return outputs.indices.last { outputs[$0].layer is ReLU && outputs[$0].output.rank == 4 }
    }

    /// Attribution maps (one per image, height × width) of the predicted — or given — classes, by one method.
    package static func attributions(_ method: String, model: any Layer, images: Tensor, targets: [Int]) throws -> [[Float]] {
        let (n, h, w) = (images.shape[0], images.size(-2), images.size(-1))
        func perImage(_ t: Tensor, channelsSummed: Bool) -> [[Float]] {
            let values = (channelsSummed ? noGrad { t.sum(dim: 1) } : t).scalars
            return (0..<n).map { Array(values[$0 * h * w..<($0 + 1) * h * w]) }
        }
        switch method {
        case "saliency":
            return perImage(noGrad { Attribution.gradient(model.callAsFunction, inputs: images, targets: targets).abs() }, channelsSummed: true)
        case "smoothgrad":
            return perImage(noGrad { Attribution.smoothGrad(model.callAsFunction, inputs: images, targets: targets, samples: 25,
                                                             generator: RandomGenerator(seed: 0)).abs() }, channelsSummed: true)
        case "integrated-gradients":
            return perImage(Attribution.integratedGradients(model.callAsFunction, inputs: images, targets: targets, steps: 64).attributions, channelsSummed: true)
        case "grad-cam", "hirescam":
            guard let chain = model as? any LayerChain, let at = lastConvolutionalReLU(chain, example: images.sliced(0, start: 0, end: 1)) else {
                throw PlainError("\(method) needs a convolutional model; this one has no convolutional feature map")
            }
            let (features, head) = (chain.prefix(through: at), chain.suffix(after: at))
            let cam = method == "grad-cam" ? Attribution.gradCAM(features: features, head: head, inputs: images, targets: targets)
                : Attribution.hiResCAM(features: features, head: head, inputs: images, targets: targets)
            return perImage(Attribution.resized(cam, to: (h, w)), channelsSummed: false)
        case "occlusion":
            return perImage(Attribution.occlusion(model.callAsFunction, inputs: images, targets: targets, window: max(2, h / 7), stride: max(1, h / 14)),
                            channelsSummed: false)
        default:
            throw PlainError("unknown method '\(method)'; the methods are \(methods.joined(separator: ", "))")
        }
    }

    /// One row per image: the image, then each method's map over it.
    package static func attributionFigure(model: any Layer, images: Tensor, targets: [Int], methods: [String], title: String, caption: String,
                                  classNames: [String]) throws -> ReportFigure {
        let (n, h, w) = (images.shape[0], images.size(-2), images.size(-1))
        let gray = noGrad { images.mean(dim: 1) }.scalars
        let maps = try methods.map { try attributions($0, model: model, images: images, targets: targets) }
        var tiles: [ReportPicture] = []
        for i in 0..<n {
            let image = Array(gray[i * h * w..<(i + 1) * h * w])
            tiles.append(ReportPicture(pixels: image, width: w, height: h))
            for m in maps.indices { tiles.append(.overlay(image: image, map: maps[m][i], width: w, height: h)) }
        }
        let columns = ["image"] + methods.map(methodTitle)
        let classes = targets.map { $0 < classNames.count ? classNames[$0] : "class \($0)" }.joined(separator: ", ")
        return ReportFigure(title: title, caption: caption + " Columns: \(columns.joined(separator: " · ")). Rows explain: \(classes). "
                            + "Red: the pixel raised the class's score; blue: it lowered it.",
                            picture: .tiled(tiles, columns: columns.count), scale: 4)
    }

    /// The figures of the run report's "What the model learned" for an image classifier.
    /// `projected` test images go into the PCA and t-SNE maps (t-SNE costs O(n²) per iteration).
    package static func imageFigures(model: any Layer, images: Tensor, labels: [Int], classNames: [String], explained: Int = 6,
                             projected: Int = 500) throws -> [ReportFigure] {
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        var figures: [ReportFigure] = []
        let (h, w) = (images.size(-2), images.size(-1))
        guard let chain = model as? any LayerChain else { return [] }
        let layers = chain.chain

        // The first convolution's filters.
        if let conv = layers.first(where: { $0.layer is Conv2d })?.layer as? Conv2d {
            let weight = conv.weight.detach()
            let (out, inChannels, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
            let values = noGrad { weight.mean(dim: 1) }.scalars
            let tiles = (0..<out).map { ReportPicture.normalised(Array(values[$0 * kh * kw..<($0 + 1) * kh * kw]), width: kw, height: kh) }
            figures.append(ReportFigure(title: "First-layer filters", caption: "The \(out) \(kh)×\(kw) kernels of the first convolution"
                                        + (inChannels > 1 ? " (averaged over its \(inChannels) input channels)" : "")
                                        + ", black to white from most negative to most positive weight: edge and blob detectors.",
                                        picture: .tiled(tiles, columns: 8), scale: 10))
        }

        // Feature maps after each convolutional block for one image: low-level features first, then more abstract ones.
        let example = images.sliced(0, start: 0, end: 1)
        let outputs = chain.activations(example)
        let blocks = outputs.indices.filter { outputs[$0].layer is ReLU && outputs[$0].output.rank == 4 }
        for (number, index) in blocks.enumerated() {
            let map = outputs[index].output
            let (channels, mh, mw) = (map.shape[1], map.shape[2], map.shape[3])
            let values = map.scalars
            let shown = min(channels, 16)
            let tiles = [ReportPicture.normalised(Array(noGrad { example.mean(dim: 1) }.scalars), width: w, height: h)]
                .map { mh == h ? $0 : downsampled($0, to: mh, mw) }
                + (0..<shown).map { ReportPicture.normalised(Array(values[$0 * mh * mw..<($0 + 1) * mh * mw]), width: mw, height: mh) }
            figures.append(ReportFigure(title: "Feature maps, block \(number + 1) (\(outputs[index].name))",
                                        caption: "The first image, then \(shown) of the \(channels) channels after this block's ReLU (\(mh)×\(mw)); bright is strong activation. "
                                        + (number == 0 ? "Early blocks respond to edges and strokes." : "Later blocks respond to larger parts of the item."),
                                        picture: .tiled(tiles, columns: 9), scale: max(2, 112 / max(mh, 1) / 2)))
        }

        // Why: the predicted class of the first few test images, by every method.
        let shownImages = images.sliced(0, start: 0, end: min(explained, images.shape[0]))
        let predicted = noGrad { model(shownImages).argmax(dim: 1) }.integers
        let usable = blocks.isEmpty ? methods.filter { !mapMethods.contains($0) } : methods
        figures.append(try attributionFigure(model: model, images: shownImages, targets: predicted, methods: usable,
                                             title: "Why the model predicted what it did",
                                             caption: "The first \(predicted.count) test images and, for the class the model predicted, each attribution method's map.",
                                             classNames: classNames))

        // The test images that most excite eight units (channels) of the last convolutional block.
        if let last = blocks.last {
            let probe = images.sliced(0, start: 0, end: min(500, images.shape[0]))
            let excitement = noGrad { chain.prefix(through: last)(probe).mean(dims: [2, 3]) }
            let (n, channels) = (excitement.shape[0], excitement.shape[1])
            let scores = excitement.scalars, gray = noGrad { probe.mean(dim: 1) }.scalars
            var tiles: [ReportPicture] = []
            for c in 0..<min(8, channels) {
                let top = (0..<n).sorted { scores[$0 * channels + c] > scores[$1 * channels + c] }.prefix(6)
                tiles += top.map { ReportPicture(pixels: Array(gray[$0 * h * w..<($0 + 1) * h * w]), width: w, height: h) }
            }
            figures.append(ReportFigure(title: "What excites units of the last block",
                                        caption: "Each row: the six of \(n) test images with the highest mean activation of one channel of \(outputs[last].name), channels 0–\(min(8, channels) - 1).",
                                        picture: .tiled(tiles, columns: 6), scale: 2))
        }

        // The penultimate layer's representation, projected: do the classes separate?
        if layers.count >= 2 {
            let count = min(projected, images.shape[0])
            let subset = images.sliced(0, start: 0, end: count)
            let features = noGrad { Tensor.cat(subset.split(250).map { chain.prefix(through: layers.count - 2)($0) }) }
            let classes = Array(labels.prefix(count))
            let pca = Projection.pca(features)
            let tsne = Projection.tsne(features)
            let name = "the last layer's input (\(features.count / max(count, 1)) values after \(layers[layers.count - 2].name))"
            figures.append(ReportFigure(title: "PCA of \(name)",
                                        caption: String(format: "%d test images by their first two principal components (%.0f%% and %.0f%% of the variance), coloured by true class.",
                                                        count, 100 * pca.explainedVarianceRatio[0], 100 * pca.explainedVarianceRatio[1]),
                                        picture: .scatter(pca.points, classes: classes), legend: classNames, scale: 1))
            figures.append(ReportFigure(title: "t-SNE of \(name)",
                                        caption: "The same \(count) images by t-SNE (perplexity 30), which keeps neighbours together: separate islands mean the classes are separable at this layer.",
                                        picture: .scatter(tsne.points, classes: classes), legend: classNames, scale: 1))
        }
        return figures
    }

    /// A gray tile shrunk to a feature map's size by averaging blocks, so it can sit in the same row.
    package static func downsampled(_ picture: ReportPicture, to height: Int, _ width: Int) -> ReportPicture {
        let (fy, fx) = (max(1, picture.height / height), max(1, picture.width / width))
        var out = [Float](repeating: 0, count: height * width)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for dy in 0..<fy { for dx in 0..<fx { sum += picture.pixels[min(y * fy + dy, picture.height - 1) * picture.width + min(x * fx + dx, picture.width - 1)] } }
                out[y * width + x] = sum / Float(fy * fx)
            }
        }
        return ReportPicture(pixels: out, width: width, height: height)
    }

    /// Permutation importance of a classifier's features on held-out rows (as the model sees them), scored by
    /// accuracy: the `top` features with the largest mean drop.
    package static func importanceTable(model: any Layer, rows: Tensor, labels: [Int], featureNames: [String], top: Int = 5, repeats: Int = 10,
                                seed: UInt64) throws -> ReportTable {
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        let reference = try accuracy(yTrue: labels, yPred: noGrad { model(rows).argmax(dim: 1) }.integers)
        let importances = Attribution.permutationImportance(rows: rows, repeats: repeats, generator: RandomGenerator(seed: seed)) { shuffled in
            (try? accuracy(yTrue: labels, yPred: noGrad { model(shuffled).argmax(dim: 1) }.integers)) ?? 0
        }
        let ranked = importances.sorted { $0.meanDrop > $1.meanDrop }.prefix(top)
        let rows = ranked.enumerated().map { rank, f in
            ["\(rank + 1). " + (f.feature < featureNames.count ? featureNames[f.feature] : "feature \(f.feature)"),
             String(format: "%.4f ± %.4f", f.meanDrop, f.standardDeviation),
             String(format: "%.4f", reference - f.meanDrop)]
        }
        return ReportTable(title: "Permutation importance (top \(ranked.count))",
                           caption: String(format: "How much test accuracy (%.4f with every feature intact) falls when one feature's values are shuffled across the %d test rows, mean ± std over %d shuffles: the features the model relies on most.",
                                           reference, labels.count, repeats),
                           header: ["feature", "accuracy drop", "accuracy shuffled"], rows: rows)
    }
}
