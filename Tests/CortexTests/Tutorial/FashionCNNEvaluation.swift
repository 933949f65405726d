import Cortex

/// The share of `test` images whose likeliest class is their label.
func testAccuracy(of model: Sequential, on test: FashionMNIST) throws -> Double {
    model.eval()
    var predicted: [Int] = [], truth: [Int] = []
    for (images, labels) in DataLoader(test, batchSize: 1000) {
        predicted += noGrad { model(images).argmax(dim: 1) }.integers
        truth += labels.integers
    }
    return try accuracy(yTrue: truth, yPred: predicted)
}
