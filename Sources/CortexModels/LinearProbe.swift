// How much of the classes an encoder's codes already separate: a linear classifier trained on the frozen codes of
// a few labelled images, scored on the test images.
import CortexCore
import CortexMetrics

/// The test accuracy of a linear classifier trained (Adam, lr 1e-2, 200 full-batch epochs) on the frozen codes
/// `encoder` gives `labelled` images: how much of the classes its codes already separate.
public func linearProbeAccuracy(_ encoder: any Autoencoding, labelled: TensorDataset, test: TensorDataset, seed: UInt64) throws -> Double {
    let wasTraining = encoder.training
    encoder.eval()
    defer { encoder.train(wasTraining) }
    let codes = noGrad { encoder.encode(labelled.inputs) }
    let testCodes = noGrad { inBatches(test.inputs) { encoder.encode($0) } }
    let probe = Linear(encoder.codeSize, max(2, Int(labelled.targets.integers.max()! + 1), Int(test.targets.integers.max()! + 1)),
                       generator: RandomGenerator(seed: seed))
    try Trainer(probe, Adam(probe.parameters(), learningRate: 1e-2), loss: .crossEntropy)
        .fit(TensorDataset(inputs: codes, targets: labelled.targets), epochs: 200, batchSize: labelled.count, seed: seed)
    let predicted = noGrad { probe(testCodes).argmax(dim: 1) }.integers
    return try accuracy(yTrue: test.targets.integers, yPred: predicted)
}

/// `body` over batches of 1000 rows of `images`, the results stacked.
public func inBatches(_ images: Tensor, _ body: (Tensor) -> Tensor) -> Tensor {
    Tensor.cat(stride(from: 0, to: images.shape[0], by: 1000).map { body(images.sliced(0, start: $0, end: min($0 + 1000, images.shape[0]))) }, dim: 0)
}
