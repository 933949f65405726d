// Pieces the table applications share: training with the epoch chosen on a validation split, and temperature
// scaling for calibrated probabilities.
import Cortex
import CortexModels
import Foundation

/// A float32 (rows, columns) tensor from Double rows.
func matrix(_ rows: [[Double]]) -> Tensor {
    Tensor(rows.flatMap { $0.map { Float($0) } }, shape: [rows.count, rows.first?.count ?? 0])
}

/// `tensor`'s rows at `indices`.
func selectRows(_ tensor: Tensor, _ indices: [Int]) -> Tensor { tensor.indexSelect(0, Tensor(indices)) }

/// Trains `model` with Adam on `train`, keeping the weights of the epoch with the lowest validation loss
/// (early stopping after `patience` epochs without improvement); returns that epoch.
@discardableResult
func fitChoosingEpoch(_ model: MLP, loss: Loss, train: TensorDataset, validation: TensorDataset, epochs: Int, batchSize: Int,
                      learningRate: Float, weightDecay: Float = 0, patience: Int, seed: UInt64) throws -> Int {
    let stopping = EarlyStopping(monitor: .validationLoss, patience: patience)
    try Trainer(model, Adam(model.parameters(), learningRate: learningRate, weightDecay: weightDecay), loss: loss)
        .fit(train, validation: validation, epochs: epochs, batchSize: batchSize, seed: seed, callbacks: [stopping])
    model.eval()
    return stopping.bestEpoch ?? epochs
}

/// The temperature T > 0 that minimises the cross-entropy of softmax(logits / T) on held-out rows (Guo et al.,
/// 2017): one number, so the ranking of the predictions (accuracy, ROC-AUC) is unchanged while their
/// probabilities are made honest. Found by golden-section search on log T in [−3, 3].
func fitTemperature(logits: Tensor, labels: Tensor) -> Float {
    func loss(_ logT: Double) -> Double {
        Double(noGrad { crossEntropy(logits / Float(exp(logT)), labels) }.item())
    }
    var (a, b) = (-3.0, 3.0)
    let ratio = (5.0.squareRoot() - 1) / 2
    var c = b - ratio * (b - a), d = a + ratio * (b - a)
    var (fc, fd) = (loss(c), loss(d))
    for _ in 0..<40 {
        if fc < fd { (b, d, fd) = (d, c, fc); c = b - ratio * (b - a); fc = loss(c) }
        else { (a, c, fc) = (c, d, fd); d = a + ratio * (b - a); fd = loss(d) }
    }
    return Float(exp((a + b) / 2))
}
