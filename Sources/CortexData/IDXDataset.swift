// An image-classification dataset stored as a pair of IDX files (images and labels), as MNIST and
// Fashion-MNIST ship: loaded whole into tensors ready for a convolutional network.
import CortexCore
import Foundation

/// Images and labels read from two IDX files, ready for a `DataLoader`.
///
/// `images` is float32 `(N, 1, H, W)` with the bytes scaled to [0, 1] (NCHW with one channel, as a
/// `Conv2d(1, …)` expects); `labels` is int64 `(N)`.
public struct IDXDataset: Dataset {
    public let images: Tensor
    public let labels: Tensor
    private let examples: TensorDataset

    init(images: Tensor, labels: Tensor) {
        self.images = images
        self.labels = labels
        examples = TensorDataset(inputs: images, targets: labels)
    }

    /// Number of examples.
    public var count: Int { labels.count }

    /// The first `count` examples (all of them when there are fewer).
    public func prefix(_ count: Int) -> IDXDataset {
        let n = min(count, self.count)
        return IDXDataset(images: images.sliced(0, start: 0, end: n), labels: labels.sliced(0, start: 0, end: n))
    }
    public func example(at index: Int) -> (input: Tensor, target: Tensor) { examples.example(at: index) }
    public func batch(at indices: [Int]) -> (input: Tensor, target: Tensor) { examples.batch(at: indices) }

    /// Reads an images file (unsigned bytes, shape `(N, H, W)`) and a labels file (integers, shape `(N)`),
    /// plain or gzip. Throws a `DataError` if either is malformed or the counts differ.
    public static func load(images imagesURL: URL, labels labelsURL: URL) throws -> IDXDataset {
        let rawImages = try IDX.read(contentsOf: imagesURL)
        guard rawImages.dtype == .uint8, rawImages.rank == 3 else {
            throw DataError("expected unsigned-byte images of shape N×H×W, found \(rawImages.dtype) "
                            + "values of shape \(shapeText(rawImages.shape))", path: imagesURL.path)
        }
        let rawLabels = try IDX.read(contentsOf: labelsURL)
        guard rawLabels.dtype.isInteger, rawLabels.rank == 1 else {
            throw DataError("expected a 1-D integer labels file, found \(rawLabels.dtype) values of shape "
                            + "\(shapeText(rawLabels.shape))", path: labelsURL.path)
        }
        guard rawImages.shape[0] == rawLabels.shape[0] else {
            throw DataError("\(imagesURL.lastPathComponent) holds \(rawImages.shape[0]) images but "
                            + "\(labelsURL.lastPathComponent) holds \(rawLabels.shape[0]) labels", path: imagesURL.path)
        }
        let (n, height, width) = (rawImages.shape[0], rawImages.shape[1], rawImages.shape[2])
        // Divided (a tensor division), not multiplied by 1/255, so the values equal torchvision's `ToTensor` bit for bit.
        let pixels = rawImages.to(.float32).reshaped([n, 1, height, width])
        let images = pixels / pixels.constant(255)
        return IDXDataset(images: images, labels: rawLabels.to(.int64))
    }

    // MARK: - Fashion-MNIST

    public enum Split: String, Sendable { case train, test }

    /// Where Debian's `dataset-fashion-mnist` package puts the files.
    public static let fashionMNISTDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// Fashion-MNIST (60,000 training or 10,000 test images of 28×28, ten clothing classes) from `directory`,
    /// which holds the original file names, gzip-compressed or not.
    public static func fashionMNIST(_ split: Split, directory: URL = fashionMNISTDirectory) throws -> IDXDataset {
        let prefix = split == .train ? "train" : "t10k"
        func locate(_ stem: String) throws -> URL {
            for name in [stem + ".gz", stem] {
                let url = directory.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
            throw DataError("Fashion-MNIST file \(stem)(.gz) not found (on Debian: apt-get install dataset-fashion-mnist, "
                            + "or pass the directory holding the files)", path: directory.path)
        }
        return try load(images: try locate("\(prefix)-images-idx3-ubyte"), labels: try locate("\(prefix)-labels-idx1-ubyte"))
    }

    /// The ten Fashion-MNIST class names, in label order.
    public static let fashionMNISTClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
}
