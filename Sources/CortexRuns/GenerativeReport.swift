// The pictures of a generative run's report, and the per-epoch sample grids that feed it.
import Cortex
import CortexModels
import CortexReport
import Foundation

/// Draws a grid of samples from fixed noise after every epoch and keeps them in epoch-samples.safetensors in the
/// run directory, so the report can show the model learning — a resumed run keeps the grids of its first part.
package final class SampleGridRecorder: Callback {
    package static let fileName = "epoch-samples.safetensors"
    package static let count = 32
    package let config: GenerativeRunConfig
    package let model: Module
    package let directory: URL

    package init(config: GenerativeRunConfig, model: Module, directory: URL) { (self.config, self.model, self.directory) = (config, model, directory) }

    package func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        let url = directory.appendingPathComponent(Self.fileName)
        var grids = (try? loadSafetensors(url)) ?? [:]
        grids["epoch_\(record.epoch)"] = drawSamples(model, config: config, count: Self.count, seed: 12345)
        try saveSafetensors(grids, to: url)
    }
}

/// Splits a batch of images of `imageShape` into one array each (the values read from the device once).
package func imageTiles(_ images: Tensor, imageShape: [Int]) -> [[Float]] {
    let per = imageShape.reduce(1, *), values = images.scalars
    return stride(from: 0, to: values.count, by: per).map { Array(values[$0..<($0 + per)]) }
}

/// `count` samples of a model in [0, 1], (count, C, H, W), from `seed`: the same noise every call. A conditional
/// model cycles through the classes.
package func drawSamples(_ model: Module, config: GenerativeRunConfig, count: Int, seed: UInt64, classLabel: Int? = nil) -> Tensor {
    let wasTraining = model.training
    model.eval()
    defer { model.train(wasTraining) }
    let generator = RandomGenerator(seed: seed)
    let labels = config.kind.isConditional ? Tensor((0..<count).map { classLabel ?? ($0 % config.classes) }) : nil
    let shape = [count] + config.imageShape
    return noGrad {
        switch model {
        case let vae as VariationalAutoencoder: return vae.sample(count: count, labels: labels, generator: generator)
        case let gan as GAN: return gan.sample(count: count, labels: labels, generator: generator)
        case let rbm as RBM:
            let start = Tensor.bernoulli([count, rbm.visibleCount], probability: 0.5, generator: generator)
            let chain = rbm.gibbs(from: start, steps: 200, generator: generator)
            return rbm.visibleMeans(rbm.hiddenProbabilities(chain)).reshaped(shape)
        case let dbn as DeepBeliefNetwork: return dbn.sample(count: count, gibbsSteps: 200, generator: generator).reshaped(shape)
        default: return Tensor.zeros(shape)
        }
    }
}

extension GenerativeTraining {
    func tiles(_ images: Tensor) -> [[Float]] { imageTiles(images, imageShape: config.imageShape) }

    var height: Int { config.imageShape[1] }
    var width: Int { config.imageShape[2] }

    /// The first test image of each class (up to 10), and their labels.
    func examplesPerClass() -> (images: Tensor, labels: Tensor) {
        let labels = test.targets.integers
        let picks = (0..<min(config.classes, 10)).compactMap { c in labels.firstIndex(of: c) }
        let index = Tensor(picks)
        return (test.inputs.indexSelect(0, index), test.targets.indexSelect(0, index))
    }

    /// The codes of the first `count` test images: code means (AE, VAE), top hidden probabilities (RBM, DBN).
    func codes(_ model: Module, count: Int) -> Tensor? {
        let n = min(count, test.count)
        let x = test.inputs.sliced(0, start: 0, end: n)
        let labels = config.kind == .cvae ? test.targets.sliced(0, start: 0, end: n) : nil
        return noGrad {
            switch model {
            case let ae as any Autoencoding: return ae.encode(x)
            case let vae as VariationalAutoencoder: return vae.encode(x, labels: labels).mean
            case let rbm as RBM: return rbm(x)
            case let dbn as DeepBeliefNetwork: return dbn(x)
            default: return nil
            }
        }
    }

    func report(_ model: Module, history: History, layerHistory: History?) -> RunReport {
        var figures: [ReportFigure] = []
        let (examples, exampleLabels) = examplesPerClass()
        let names = exampleLabels.integers.map { $0 < config.classNames.count ? config.classNames[$0] : "class \($0)" }
        let columns = examples.shape[0]

        // Reconstructions beside their inputs.
        let rebuilt: Tensor? = noGrad {
            switch model {
            case let ae as any Autoencoding: return ae(config.noise.map { MaskingNoise(probability: $0, seed: 99)(examples) } ?? examples)
            case let vae as VariationalAutoencoder: return vae.reconstruct(examples, labels: config.kind == .cvae ? exampleLabels : nil)
            case let rbm as RBM: return rbm.visibleMeans(rbm(examples)).reshaped(examples.shape)
            case let dbn as DeepBeliefNetwork:
                var x = dbn(examples)
                for machine in dbn.machines.reversed() { x = machine.visibleMeans(x) }
                return x.reshaped(examples.shape)
            default: return nil
            }
        }
        if let rebuilt {
            var rows = tiles(examples)
            var caption = "Top: one test image of each class (\(names.joined(separator: ", "))); below: the model's reconstruction."
            if let p = config.noise {
                rows += tiles(MaskingNoise(probability: p, seed: 99)(examples))
                caption = "Top: test images; middle: with \(Int(p * 100))% of pixels masked; bottom: the denoising autoencoder's reconstruction of the masked ones."
            }
            rows += tiles(rebuilt)
            figures.append(ReportFigure(title: "Reconstructions", caption: caption,
                                        picture: .grid(rows, width: width, height: height, columns: columns), scale: 3))
        }

        // Samples: the final grid, and one per epoch.
        if config.kind.generates {
            let count = config.kind.isConditional ? config.classes * 6 : 64
            let samples = drawSamples(model, config: config, count: count, seed: 777)
            let caption = config.kind.isConditional
                ? "New images, one class per column (\(config.classNames.joined(separator: ", ")))."
                : "New images drawn from the model."
            figures.append(ReportFigure(title: "Samples", caption: caption,
                                        picture: .grid(tiles(samples), width: width, height: height, columns: config.kind.isConditional ? config.classes : 16),
                                        scale: 2))
            if let grids = try? loadSafetensors(directory.appendingPathComponent(SampleGridRecorder.fileName)) {
                let epochs = grids.keys.compactMap { Int($0.dropFirst("epoch_".count)) }.sorted()
                let rows = epochs.flatMap { tiles(grids["epoch_\($0)"]!) }
                if !rows.isEmpty {
                    figures.append(ReportFigure(title: "Samples per epoch",
                                                caption: "One row per epoch (\(epochs.map(String.init).joined(separator: ", "))), the same noise each time.",
                                                picture: .grid(rows, width: width, height: height, columns: SampleGridRecorder.count), scale: 1))
                }
            }
        }

        // The codes on a 2-D map.
        if let codes = codes(model, count: 2000) {
            let labels = test.targets.sliced(0, start: 0, end: codes.shape[0]).integers
            let (points, how) = planarProjection(codes)
            figures.append(ReportFigure(title: "Codes", caption: "The codes of \(codes.shape[0]) test images \(how), coloured by class.",
                                        picture: .scatter(points, classes: labels), legend: config.classNames, scale: 1))
        }

        // Interpolations between test images of different classes.
        if model is any Autoencoding || model is VariationalAutoencoder, columns >= 2 {
            var rows: [[Float]] = []
            for (a, b) in [(0, 1), (2, 3), (5, 7), (8, 9)] where b < columns {
                let start = examples.sliced(0, start: a, end: a + 1), end = examples.sliced(0, start: b, end: b + 1)
                let path: Tensor = noGrad {
                    if let vae = model as? VariationalAutoencoder {
                        let labels = config.kind == .cvae ? (exampleLabels.sliced(0, start: a, end: a + 1), exampleLabels.sliced(0, start: a, end: a + 1)) : nil
                        return vae.interpolate(from: start, to: end, steps: 10, labels: labels)
                    }
                    let ae = model as! any Autoencoding
                    let (ca, cb) = (ae.encode(start), ae.encode(end))
                    let weights = Tensor((0..<10).map { Float($0) / 9 }, shape: [10, 1])
                    return ae.decode(ca * (1 - weights) + cb * weights)
                }
                rows += tiles(path)
            }
            figures.append(ReportFigure(title: "Interpolations",
                                        caption: "Decodings of codes on the straight line from one test image's code to another's, ten steps per row.",
                                        picture: .grid(rows, width: width, height: height, columns: 10), scale: 2))
        }

        // What the first machine's hidden units look for.
        if let rbm = (model as? RBM) ?? (model as? DeepBeliefNetwork)?.machines.first {
            let weights = rbm.weight.scalars, visible = rbm.visibleCount
            let filters = (0..<min(64, rbm.hiddenCount)).map { j -> [Float] in
                let row = Array(weights[(j * visible)..<((j + 1) * visible)])
                let (low, high) = (row.min()!, row.max()!)
                return row.map { ($0 - low) / max(high - low, 1e-12) }
            }
            figures.append(ReportFigure(title: "Filters", caption: "The weights of the first 64 hidden units, each scaled to black–white: what each unit responds to.",
                                        picture: .grid(filters, width: width, height: height, columns: 16), scale: 2))
        }

        var valueCharts: [ReportValueChart] = []
        switch config.kind {
        case .gan, .cgan:
            valueCharts = [ReportValueChart(title: "losses", names: ["d_loss", "g_loss"]),
                           ReportValueChart(title: "discriminator output", names: ["d_real", "d_fake"])]
        case .vae, .cvae: valueCharts = [ReportValueChart(title: "nats per example", names: ["reconstruction", "kl"])]
        case .rbm: valueCharts = [ReportValueChart(title: "free-energy gap", names: ["free_energy_gap"])]
        default: break
        }
        var reportHistory = history
        if let layerHistory, let layers = (model as? DeepBeliefNetwork)?.machines.count {
            // The layers' pretraining curves ride in the fine-tuning history's values, epoch by epoch.
            for i in 0..<max(reportHistory.epochs.count, layerHistory.epochs.count) where i < reportHistory.epochs.count && i < layerHistory.epochs.count {
                reportHistory.epochs[i].values = (reportHistory.epochs[i].values ?? [:]).merging(layerHistory.epochs[i].values ?? [:]) { a, _ in a }
            }
            valueCharts = [ReportValueChart(title: "pretraining reconstruction error", names: (1...layers).map { "layer \($0) reconstruction" }),
                           ReportValueChart(title: "pretraining pseudo-likelihood", names: (1...layers).map { "layer \($0) pseudo-likelihood" })]
        }
        let parameters = model.parameterCount
        var summary = [ReportItem("model", "\(config.model), \(parameters) parameters"),
                       ReportItem("training", String(format: "%d epochs, %.0f s", config.epochs, config.trainingSeconds ?? 0))]
        if let labels = config.labels { summary.append(ReportItem("labels for the probe", "\(min(labels, train.count))")) }
        summary += config.results.sorted { $0.key < $1.key }.map { ReportItem("test \($0.key.replacingOccurrences(of: "_", with: " "))", String(format: "%.4f", $0.value)) }
        return RunReport(title: "\(data.description) · \(config.model)", summary: summary, history: reportHistory, figures: figures,
                         valueCharts: valueCharts)
    }

    /// Two coordinates per code: the codes themselves when they have two dimensions, else their first two
    /// principal components (power iteration on the covariance, with deflation).
    func planarProjection(_ codes: Tensor) -> ([(x: Double, y: Double)], String) {
        let (n, d) = (codes.shape[0], codes.shape[1])
        let values = codes.scalars.map(Double.init)
        if d == 2 { return ((0..<n).map { (values[2 * $0], values[2 * $0 + 1]) }, "(two dimensions)") }
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += values[i * d + j] / Double(n) } }
        var covariance = [Double](repeating: 0, count: d * d)
        for i in 0..<n {
            for a in 0..<d {
                let x = values[i * d + a] - mean[a]
                for b in 0..<d { covariance[a * d + b] += x * (values[i * d + b] - mean[b]) / Double(n) }
            }
        }
        var components: [[Double]] = []
        for _ in 0..<2 {
            var v = (0..<d).map { 1 + Double($0 % 7) * 0.1 }
            for _ in 0..<200 {
                var w = (0..<d).map { a in (0..<d).reduce(0.0) { $0 + covariance[a * d + $1] * v[$1] } }
                for c in components { let dot = zip(w, c).map(*).reduce(0, +); w = zip(w, c).map { $0 - dot * $1 } }
                let norm = (w.map { $0 * $0 }.reduce(0, +)).squareRoot()
                guard norm > 0 else { break }
                v = w.map { $0 / norm }
            }
            components.append(v)
        }
        let points = (0..<n).map { i -> (x: Double, y: Double) in
            let centred = (0..<d).map { values[i * d + $0] - mean[$0] }
            return (zip(centred, components[0]).map(*).reduce(0, +), zip(centred, components[1]).map(*).reduce(0, +))
        }
        return (points, "projected on their first two principal components")
    }
}
