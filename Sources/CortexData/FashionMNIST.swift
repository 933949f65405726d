// Fashion-MNIST by name, as the README's first example reads: `try FashionMNIST(split: .train)`.
import CortexCore
import Foundation

/// Fashion-MNIST's training (60,000) or test (10,000) split: float32 images (N, 1, 28, 28) in [0, 1]
/// and int64 labels of ten clothing classes. Reads Debian's `dataset-fashion-mnist` files by default;
/// a missing file throws a `DataError` that says where it looked and how to install them.
public struct FashionMNIST: Dataset {
    public typealias Split = IDXDataset.Split

    /// "T-shirt/top", "Trouser", … in label order.
    public static let classNames = IDXDataset.fashionMNISTClassNames

    public let images: Tensor
    public let labels: Tensor

    public init(split: Split, directory: URL = IDXDataset.fashionMNISTDirectory) throws {
        let data = try IDXDataset.fashionMNIST(split, directory: directory)
        images = data.images
        labels = data.labels
    }

    public var count: Int { labels.count }

    public func example(at index: Int) -> (input: Tensor, target: Tensor) {
        TensorDataset(inputs: images, targets: labels).example(at: index)
    }

    public func batch(at indices: [Int]) -> (input: Tensor, target: Tensor) {
        TensorDataset(inputs: images, targets: labels).batch(at: indices)
    }
}
