import Cortex
import Foundation

/// The whole program: read the data, build the network, measure it, train it, measure it again.
@discardableResult
func runFashionCNN(epochs: Int = 2, dataDirectory: URL = IDXDataset.fashionMNISTDirectory) throws -> (untrained: Double, trained: Double) {
    let (train, test) = try loadFashionMNIST(from: dataDirectory)
    let model = fashionCNN()
    let untrained = try testAccuracy(of: model, on: test)
    print("untrained: test accuracy \(untrained)")
    trainFashionCNN(model, on: train, epochs: epochs)
    let trained = try testAccuracy(of: model, on: test)
    print("trained: test accuracy \(trained)")
    return (untrained, trained)
}
