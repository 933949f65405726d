import Cortex

/// The same training one level up: the Trainer runs the loop, validates after every epoch, stops early when the
/// validation loss stops improving, and keeps the history.
func fitFashionCNN(_ model: Sequential, train: FashionMNIST, test: FashionMNIST, epochs: Int) throws -> History {
    let trainer = Trainer(model, Adam(model.parameters(), learningRate: 1e-3), loss: .crossEntropy)
    try trainer.fit(train, validation: test, epochs: epochs, batchSize: 64,
                    callbacks: [EarlyStopping(patience: 3), ProgressBar(totalEpochs: epochs)])
    return trainer.history
}
