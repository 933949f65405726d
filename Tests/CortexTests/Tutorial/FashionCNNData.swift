import Cortex
import Foundation

/// Fashion-MNIST's training and test splits, read from the files of Debian's dataset-fashion-mnist, or from
/// another folder that holds the same four files.
func loadFashionMNIST(from directory: URL = IDXDataset.fashionMNISTDirectory) throws -> (train: FashionMNIST, test: FashionMNIST) {
    let train = try FashionMNIST(split: .train, directory: directory)
    let test = try FashionMNIST(split: .test, directory: directory)
    return (train, test)
}
