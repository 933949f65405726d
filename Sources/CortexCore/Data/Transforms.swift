// Transforms: scaling fitted on training data only, one-hot labels, and random crops and flips
// for image augmentation (seeded, applied per batch).
import CortexEngine

/// Per-feature standardisation (x − mean)/std with statistics fitted on training data only, so no
/// information from validation or test data leaks into the model (sklearn's StandardScaler).
public struct Standardizer: Sendable {
    public let mean: Tensor
    public let std: Tensor

    /// Fits column statistics of a (samples, features) tensor. Constant features get std 1, so they are centred
    /// and left unscaled. A feature counts as constant when its std is within the rounding of its own mean: the
    /// mean of n copies of 0.1 is not exactly 0.1 in float32, so such a column has a std of a few 1e-9, and
    /// dividing by it would turn rounding into unit-variance noise. Within rounding means at most 32 float32 ulps
    /// of the mean (a relative 3.8e-6; a sum of a million values is off by about log2 of that many ulps).
    public init(fitting data: Tensor) {
        require(data.rank == 2 && data.shape[0] > 0, "Standardizer: expects a non-empty (samples, features) tensor, got \(data.shape)")
        let (m, s) = noGrad { () -> (Tensor, Tensor) in
            let mean = data.mean(dim: 0)
            // Population std (ddof 0), as StandardScaler.
            let std = data.variance(dims: [0], correction: 0).sqrt()
            let constant = std.le(mean.abs() * (32 * Float.ulpOfOne))
            return (mean, Tensor.where(constant, std.constant(1), std))
        }
        mean = m
        std = s
    }

    public init(mean: Tensor, std: Tensor) {
        self.mean = mean
        self.std = std
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { (x - mean) / std }
    public func inverse(_ x: Tensor) -> Tensor { x * std + mean }
}

/// Normalises each channel of (N, C, …) images with fixed means and standard deviations
/// (torchvision's Normalize).
public func normalize(_ images: Tensor, mean: [Float], std: [Float]) -> Tensor {
    require(images.rank >= 2 && mean.count == images.shape[1] && std.count == images.shape[1],
            "normalize: \(mean.count) means and \(std.count) stds for images of shape \(images.shape)")
    let view = [1, mean.count] + Array(repeating: 1, count: images.rank - 2)
    return (images - Tensor(mean, shape: view, device: images.device)) / Tensor(std, shape: view, device: images.device)
}

/// One-hot float32 rows (N, classes) for integer labels (N).
public func oneHot(_ labels: Tensor, classes: Int) -> Tensor {
    require(labels.dtype.isInteger, "one_hot: labels must be an integer tensor, got \(labels.dtype)")
    let values = labels.integers
    var out = [Float](repeating: 0, count: values.count * classes)
    for (i, label) in values.enumerated() {
        require(label >= 0 && label < classes, "one_hot: label \(label) at position \(i) is out of range for \(classes) classes")
        out[i * classes + label] = 1
    }
    return Tensor(out, shape: labels.shape + [classes], device: labels.device)
}

/// A per-batch input transform (augmentation) whose randomness a checkpoint can keep: `Trainer` saves
/// the state of every generator it lists, so a resumed run draws the same crops and flips as an
/// uninterrupted one. Wrap other code in `BatchMap`.
public protocol BatchTransform: Sendable {
    func callAsFunction(_ batch: Tensor) -> Tensor
    /// The transform's random generators by name (empty for a deterministic transform).
    var generators: [(name: String, generator: RandomGenerator)] { get }
}

/// Transforms applied in order; their generators are numbered ("0.crop", "1.flip").
public struct Compose: BatchTransform {
    public let transforms: [any BatchTransform]

    public init(_ transforms: any BatchTransform...) { self.transforms = transforms }
    public init(_ transforms: [any BatchTransform]) { self.transforms = transforms }

    public func callAsFunction(_ batch: Tensor) -> Tensor { transforms.reduce(batch) { x, t in t(x) } }

    public var generators: [(name: String, generator: RandomGenerator)] {
        transforms.enumerated().flatMap { i, t in t.generators.map { ("\(i).\($0.name)", $0.generator) } }
    }
}

/// Any batch function as a transform. Randomness inside it is not checkpointed: give it a generator
/// it owns and list that in `generators` to make a resumed run exact.
public struct BatchMap: BatchTransform {
    public let body: @Sendable (Tensor) -> Tensor
    public let generators: [(name: String, generator: RandomGenerator)]

    public init(generators: [(name: String, generator: RandomGenerator)] = [], _ body: @escaping @Sendable (Tensor) -> Tensor) {
        self.body = body
        self.generators = generators
    }

    public func callAsFunction(_ batch: Tensor) -> Tensor { body(batch) }
}

/// A random crop of every image in an (N, C, H, W) batch after zero-padding by `padding` pixels
/// (the standard CIFAR/MNIST augmentation), output `size`×`size`.
public struct RandomCrop: BatchTransform {
    public let size: Int, padding: Int
    let generator: RandomGenerator

    public init(size: Int, padding: Int = 0, seed: UInt64 = 0) {
        require(size > 0 && padding >= 0, "RandomCrop: size must be positive and padding non-negative")
        self.size = size
        self.padding = padding
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        require(images.rank == 4, "RandomCrop: expects (N, C, H, W) images, got \(images.shape)")
        let padded = padding > 0 ? pad(images, [padding, padding, padding, padding]) : images
        let h = padded.shape[2], w = padded.shape[3]
        require(h >= size && w >= size, "RandomCrop: crop \(size) is larger than the padded image \(h)×\(w)")
        // A replica's part of a global batch gets the crops one process draws for those rows.
        return BatchShard.drawingOwnRows(images.shape[0], from: generator, perExample: 2) {
            Tensor.stack((0..<images.shape[0]).map { n -> Tensor in
                let top = Int(generator.next() % UInt64(h - size + 1)), left = Int(generator.next() % UInt64(w - size + 1))
                return padded.selected(0, n).sliced(1, start: top, end: top + size).sliced(2, start: left, end: left + size)
            })
        }
    }

    public var generators: [(name: String, generator: RandomGenerator)] { [("crop", generator)] }
}

/// Mirrors each image of an (N, C, H, W) batch left–right with probability `probability`.
public struct RandomHorizontalFlip: BatchTransform {
    public let probability: Float
    let generator: RandomGenerator

    public init(probability: Float = 0.5, seed: UInt64 = 0) {
        require(probability >= 0 && probability <= 1, "RandomHorizontalFlip: probability must be in [0, 1]")
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        require(images.rank == 4, "RandomHorizontalFlip: expects (N, C, H, W) images, got \(images.shape)")
        let width = images.shape[3]
        let reversed = Tensor(Array((0..<width).reversed()), device: images.device)
        return BatchShard.drawingOwnRows(images.shape[0], from: generator, perExample: 1) {
            Tensor.stack((0..<images.shape[0]).map { n -> Tensor in
                let image = images.selected(0, n)
                return generator.nextUniform() < probability ? image.indexSelect(2, reversed) : image
            })
        }
    }

    public var generators: [(name: String, generator: RandomGenerator)] { [("flip", generator)] }
}
