// Attributions: the demo CNN's input gradients and Grad-CAM against PyTorch (Resources/explain/generate_torch.py),
// integrated gradients' completeness, occlusion, permutation importance and partial dependence on models whose
// answers are known, and the sanity check of Adebayo et al. on a CNN trained on real images.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("Attributions")
struct AttributionTests {
    static let reference = try! loadSafetensors(Fixtures.resources.appendingPathComponent("explain/explain_reference.safetensors"))

    /// The demo CNN with PyTorch's weights and running statistics, in evaluation mode.
    static func referenceNetwork() throws -> SmallConvNet {
        let model = SmallConvNet(classes: 10, seed: 0)
        try model.loadStateDict(reference.filter { $0.key.hasPrefix("features.") || $0.key.hasPrefix("classifier.") }, strict: false)
        model.eval()
        return model
    }

    static func worstRelative(_ a: Tensor, _ b: Tensor) -> Float {
        let scale = max(b.scalars.map(abs).max() ?? 1, 1e-12)
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / scale
    }

    @Test func inputGradientsAndGradCAMMatchPyTorch() throws {
        let model = try Self.referenceNetwork()
        let images = Self.reference["images"]!, targets = Self.reference["targets"]!.scalars.map { Int($0) }
        #expect(Self.worstRelative(noGrad { model(images) }, Self.reference["logits"]!) < 1e-5)

        let gradient = Attribution.gradient(model.callAsFunction, inputs: images, targets: targets)
        #expect(gradient.shape == [4, 1, 28, 28])
        #expect(Self.worstRelative(gradient, Self.reference["input_gradient"]!) < 1e-4, "saliency against torch.autograd.grad")
        let timesInput = Attribution.gradientTimesInput(model.callAsFunction, inputs: images, targets: targets)
        let expected = zip(Self.reference["input_gradient"]!.scalars, images.scalars).map { $0 * $1 }
        #expect(Self.worstRelative(timesInput, Tensor(expected, shape: images.shape)) < 1e-4, "gradient × input")
        // Explaining leaves the parameters' gradients as they were.
        #expect(model.parameters().allSatisfy { $0.grad == nil })

        let relu = try #require(model.chain.firstIndex { $0.name == "features.6" })
        let cam = Attribution.gradCAM(features: model.prefix(through: relu), head: model.suffix(after: relu), inputs: images, targets: targets)
        #expect(cam.shape == [4, 14, 14])
        #expect(Self.worstRelative(cam, Self.reference["grad_cam"]!) < 1e-4, "Grad-CAM")
        let hires = Attribution.hiResCAM(features: model.prefix(through: relu), head: model.suffix(after: relu), inputs: images, targets: targets)
        #expect(Self.worstRelative(hires, Self.reference["hires_cam"]!) < 1e-4, "HiResCAM")
        let resized = Attribution.resized(cam, to: (28, 28))
        #expect(Self.worstRelative(resized, Self.reference["grad_cam_28"]!) < 1e-4, "bilinear resize as F.interpolate")
    }

    /// The demo CNN trained for two epochs on the bundled 3,000 Fashion-MNIST images, and 16 test images.
    /// Shared by the tests below, which only read it (evaluation mode, no training).
    nonisolated(unsafe) static let trained: (model: SmallConvNet, images: Tensor, labels: [Int]) = {
        let folder = Fixtures.fashionSubset
        let train = try! IDXDataset.load(images: folder.appendingPathComponent("train-images-idx3-ubyte.gz"),
                                         labels: folder.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        let test = try! IDXDataset.load(images: folder.appendingPathComponent("test-images-idx3-ubyte.gz"),
                                        labels: folder.appendingPathComponent("test-labels-idx1-ubyte.gz")).prefix(16)
        let model = SmallConvNet(classes: 10, seed: 2)
        try! Trainer(model, Adam(model.parameters(), learningRate: 2e-3), loss: .crossEntropy).fit(train, epochs: 2, batchSize: 64, seed: 2)
        model.eval()
        return (model, test.images, test.labels.integers)
    }()

    /// An MLP trained on the standardised breast-cancer table, and its first 16 rows.
    static func trainedTabular() throws -> (model: MLP, rows: Tensor, labels: [Int]) {
        let table = try BreastCancer.load()
        let rows = Standardizer(fitting: table.features)(table.features), labels = try #require(table.target)
        let model = MLP(inputSize: 30, hiddenSizes: [32], outputSize: 2, seed: 1)
        try Trainer(model, Adam(model.parameters(), learningRate: 1e-3), loss: .crossEntropy)
            .fit(TensorDataset(inputs: rows, targets: labels), epochs: 20, batchSize: 32, seed: 1)
        model.eval()
        return (model, rows.sliced(0, start: 0, end: 16), Array(labels.integers.prefix(16)))
    }

    @Test func integratedGradientsAreCompleteAtSixtyFourStepsOnTheTrainedCNN() {
        let (model, images, labels) = Self.trained
        let ig = Attribution.integratedGradients(model.callAsFunction, inputs: images, targets: labels, steps: 64)
        #expect(ig.attributions.shape == images.shape)
        let errors = ig.completenessError
        print("integrated gradients, trained CNN, 64 steps: completeness errors max \(errors.max()!), mean \(errors.reduce(0, +) / Float(errors.count))")
        #expect(errors.allSatisfy { $0 < 0.01 }, "CNN completeness errors \(errors)")
        // With one step the midpoint rule is a single gradient, and completeness is visibly off: the check can fail.
        let coarse = Attribution.integratedGradients(model.callAsFunction, inputs: images, targets: labels, steps: 1)
        #expect(coarse.completenessError.max()! > 0.01, "one step: \(coarse.completenessError)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: BreastCancer.defaultURL.path)))
    func integratedGradientsAreCompleteAtSixtyFourStepsOnATabularMLP() throws {
        let (model, rows, labels) = try Self.trainedTabular()
        let ig = Attribution.integratedGradients(model.callAsFunction, inputs: rows, targets: labels, steps: 64)
        let errors = ig.completenessError
        print("integrated gradients, breast-cancer MLP, 64 steps: completeness errors max \(errors.max()!), mean \(errors.reduce(0, +) / Float(errors.count))")
        #expect(errors.allSatisfy { $0 < 0.01 }, "MLP completeness errors \(errors)")
    }

    @Test func integratedGradientsConvergeOnAnUntrainedNetwork() throws {
        // Random weights put outputs close to the baseline's, so relative errors are larger, but they shrink
        // as the steps grow (the midpoint rule on a piecewise-constant gradient).
        let cnn = try Self.referenceNetwork()
        let images = Self.reference["images"]!, targets = Self.reference["targets"]!.scalars.map { Int($0) }
        let errors = [8, 64, 512].map { steps in
            Attribution.integratedGradients(cnn.callAsFunction, inputs: images, targets: targets, steps: steps).completenessError.max()!
        }
        #expect(errors[0] > errors[1] && errors[1] > errors[2] && errors[2] < 0.01, "errors at 8, 64, 512 steps: \(errors)")
    }

    @Test func trainedAttributionsDifferFromRandomisedOnes() throws {
        // Adebayo et al. (2018): a saliency method that shows the same map for a trained network and for the same
        // network with random weights explains the image, not the model. Rank correlations per image, averaged (one
        // over all images would be inflated by the blank pixels every map shares). Saliency and SmoothGrad are compared
        // as absolute values, as they are shown; gradient × input and integrated gradients signed, since their absolute
        // values follow |input| whatever the weights (0.91 for integrated gradients here, as Adebayo et al. found).
        let (model, images, labels) = Self.trained
        let randomised = SmallConvNet(classes: 10, seed: 77)
        try randomised.loadStateDict(model.stateDict().filter { $0.key.contains("running") || $0.key.contains("num_batches") }, strict: false)
        randomised.eval()
        let relu = try #require(model.chain.firstIndex { $0.name == "features.6" })
        let methods: [(String, (SmallConvNet) -> Tensor)] = [
            ("saliency", { Attribution.gradient($0.callAsFunction, inputs: images, targets: labels).abs() }),
            ("SmoothGrad", { Attribution.smoothGrad($0.callAsFunction, inputs: images, targets: labels, samples: 8, generator: RandomGenerator(seed: 3)).abs() }),
            ("Grad-CAM", { m in Attribution.resized(Attribution.gradCAM(features: m.prefix(through: relu), head: m.suffix(after: relu),
                                                                       inputs: images, targets: labels), to: (28, 28)) }),
            ("HiResCAM", { m in Attribution.resized(Attribution.hiResCAM(features: m.prefix(through: relu), head: m.suffix(after: relu),
                                                                         inputs: images, targets: labels), to: (28, 28)) }),
            ("gradient × input", { Attribution.gradientTimesInput($0.callAsFunction, inputs: images, targets: labels) }),
            ("integrated gradients", { Attribution.integratedGradients($0.callAsFunction, inputs: images, targets: labels, steps: 32).attributions }),
        ]
        for (method, attributions) in methods {
            let (a, b) = (attributions(model).scalars, attributions(randomised).scalars)
            let size = a.count / labels.count
            // A map that is zero everywhere (Grad-CAM's ReLU can remove all of it) has no ranking to compare.
            let perImage = (0..<labels.count).compactMap { i in
                try? spearmanCorrelation(Array(a[i * size..<(i + 1) * size]), Array(b[i * size..<(i + 1) * size]))
            }
            let mean = perImage.reduce(0, +) / Double(max(perImage.count, 1))
            print("sanity check, \(method): rank correlation of trained and randomised-weight maps \(mean) (\(perImage.count) images)")
            #expect(!perImage.isEmpty)
            #expect(mean < 0.5, "\(method): rank correlation \(mean) between trained and randomised attributions")
        }
    }

    /// Per image with a non-zero map: the map's share of mass in the item's bounding box and on the item's own pixels
    /// (above 0.1), and the share of the image each covers (what a uniform map would put there).
    static func localisation(_ maps: Tensor, _ images: Tensor) -> (box: Float, boxArea: Float, item: Float, itemArea: Float, mapped: Int) {
        let cam = Attribution.resized(maps, to: (28, 28)).scalars, pixels = images.scalars
        var (box, boxArea, item, itemArea): ([Float], [Float], [Float], [Float]) = ([], [], [], [])
        for k in 0..<images.shape[0] {
            let map = Array(cam[k * 784..<(k + 1) * 784]), image = Array(pixels[k * 784..<(k + 1) * 784])
            let total = map.reduce(0, +)
            guard total > 0 else { continue }
            let on = image.indices.filter { image[$0] > 0.1 }
            let (rows, columns) = (on.map { $0 / 28 }, on.map { $0 % 28 })
            let inBox = image.indices.filter { (rows.min()!...rows.max()!).contains($0 / 28) && (columns.min()!...columns.max()!).contains($0 % 28) }
            box.append(inBox.reduce(0) { $0 + map[$1] } / total); boxArea.append(Float(inBox.count) / 784)
            item.append(on.reduce(0) { $0 + map[$1] } / total); itemArea.append(Float(on.count) / 784)
        }
        func mean(_ v: [Float]) -> Float { v.reduce(0, +) / Float(max(v.count, 1)) }
        return (mean(box), mean(boxArea), mean(item), mean(itemArea), box.count)
    }

    @Test func classActivationMapsAndTheItem() throws {
        // Where the maps at the last convolutional block (14 × 14) put their mass: in the item's bounding box (the
        // energy-based pointing game of Wang et al., Score-CAM 2020) and on the item's own pixels, against what a
        // uniform map would. HiResCAM must put most of its mass on the item, well above its area. Grad-CAM is
        // reported as measured: with this model's flatten-and-linear head its channel-averaged weights also light up
        // the background the classifier reads (the silhouette), and its ReLU empties some maps altogether.
        let (model, images, labels) = Self.trained
        let relu = try #require(model.chain.firstIndex { $0.name == "features.6" })
        let (features, head) = (model.prefix(through: relu), model.suffix(after: relu))
        let grad = Self.localisation(Attribution.gradCAM(features: features, head: head, inputs: images, targets: labels), images)
        let hires = Self.localisation(Attribution.hiResCAM(features: features, head: head, inputs: images, targets: labels), images)
        for (name, m) in [("Grad-CAM", grad), ("HiResCAM", hires)] {
            print("\(name): \(m.box) of the mass in the item's box (area \(m.boxArea)), \(m.item) on the item's pixels (area \(m.itemArea)); "
                  + "\(m.mapped) of \(labels.count) maps non-zero")
        }
        #expect(hires.mapped == labels.count)
        #expect(hires.item > 0.5 && hires.item > hires.itemArea + 0.05, "HiResCAM on the item: \(hires.item) (area \(hires.itemArea))")
        #expect(hires.box > hires.boxArea + 0.1, "HiResCAM in the box: \(hires.box) (area \(hires.boxArea))")
        #expect(grad.mapped > 0)
    }

    @Test func integratedGradientsOfALinearModelAreExact() {
        // f(x) = w·x: the gradient is w everywhere, so the attributions are w ⊙ (x − baseline) exactly.
        let w: [Float] = [2, -1, 0.5]
        let model: Attribution.Model = { x in (x * Tensor(w, shape: [1, 3])).sum(dim: 1) }
        let x = Tensor([1, 2, 3, -1, 0, 4] as [Float], shape: [2, 3]), baseline = Tensor([1, 1, 1] as [Float], shape: [3])
        let ig = Attribution.integratedGradients(model, inputs: x, targets: [0, 0], baseline: baseline, steps: 5)
        #expect(ig.attributions.scalars == [0, -1, 1, -4, 1, 1.5])
        #expect(ig.completenessError.allSatisfy { $0 < 1e-6 })
    }

    @Test func smoothGradAveragesNoisyGradients() {
        // A quadratic's gradient is linear, so noise averages out: SmoothGrad of Σx² tends to 2x.
        let model: Attribution.Model = { x in (x * x).sum(dim: 1) }
        let x = Tensor([1, -2, 0.5, 3] as [Float], shape: [1, 4])
        let smooth = Attribution.smoothGrad(model, inputs: x, targets: [0], samples: 400, noiseLevel: 0.1, generator: RandomGenerator(seed: 1))
        let worst = zip(smooth.scalars, [2, -4, 1, 6] as [Float]).map { abs($0 - $1) }.max()!
        #expect(worst < 0.1, "SmoothGrad \(smooth.scalars)")
        #expect(smooth.scalars != [2, -4, 1, 6], "noise was added")
    }

    @Test func occlusionFindsTheRegionTheModelReads() {
        // The model sums the top-left 4×4 corner of an 8×8 image: only windows over the corner lower it.
        let model: Attribution.Model = { x in x.sliced(2, start: 0, end: 4).sliced(3, start: 0, end: 4).sum(dims: [1, 2, 3]) }
        let image = Tensor.ones([1, 1, 8, 8])
        let map = Attribution.occlusion(model, inputs: image, targets: [0], window: 2, stride: 2).scalars
        for y in 0..<8 {
            for x in 0..<8 { #expect(map[y * 8 + x] == (y < 4 && x < 4 ? 4 : 0), "pixel (\(y), \(x))") }
        }
    }

    @Test func permutationImportanceAndPartialDependenceOfAKnownModel() {
        // y = 3·x₂ − x₀ (features 1 and 3 unused); the score is minus the mean squared error.
        let g = RandomGenerator(seed: 5)
        let rows = Tensor.randn([200, 4], generator: g)
        let model: Attribution.Model = { x in x.selected(1, 2) * 3 - x.selected(1, 0) }
        let target = model(rows)
        let importance = Attribution.permutationImportance(rows: rows, repeats: 3, generator: g) { shuffled in
            -Double(((model(shuffled) - target) * (model(shuffled) - target)).mean().item())
        }
        #expect(importance.map(\.feature) == [0, 1, 2, 3])
        #expect(importance[1].meanDrop == 0 && importance[3].meanDrop == 0, "unused features cost nothing when shuffled")
        #expect(importance[2].meanDrop > 4 * importance[0].meanDrop, "x₂ matters most: \(importance.map(\.meanDrop))")
        #expect(importance[0].meanDrop > 0.5)

        let dependence = Attribution.partialDependence(model, rows: rows, feature: 2, grid: [-1, 0, 1])
        let mean0 = rows.selected(1, 0).mean().item()
        #expect(dependence.map(\.value) == [-1, 0, 1])
        for (v, average) in dependence { #expect(abs(average - (3 * v - mean0)) < 1e-5) }
        let defaultGrid = Attribution.partialDependence(model, rows: rows, feature: 2)
        #expect(defaultGrid.count == 20 && defaultGrid.first!.value < defaultGrid.last!.value)
    }

    @Test func spearmanEqualsSciPy() throws {
        // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).statistic = 0.8207826816681233 (ties averaged).
        #expect(abs(try spearmanCorrelation([1, 2, 3, 4, 5] as [Double], [5, 6, 7, 8, 7]) - 0.8207826816681233) < 1e-12)
        #expect(try spearmanCorrelation([1, 2, 3] as [Double], [30, 20, 10]) == -1)
        #expect(throws: MetricsError.self) { try spearmanCorrelation([1, 1, 1] as [Double], [1, 2, 3]) }
    }
}
