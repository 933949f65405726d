// Classifying whole sequences of different lengths: a 1-D convolutional network to set beside the recurrent
// `SequenceNetwork`, and the training step that feeds either one its batches' lengths.
import CortexCore

/// A model that reads (batch, time, features) with per-sequence lengths.
public protocol SequenceModel: Layer, Module {
    func callAsFunction(_ input: Tensor, lengths: Tensor?) -> Tensor
}

extension SequenceNetwork: SequenceModel {}

/// (batch, time, features) → (batch, outputs): 1-D convolutions over time ("same" padding, batch norm, ReLU),
/// the mean of the last feature maps over each sequence's real steps, dropout and a Linear head.
///
/// Each block's output is zeroed past every sequence's end, so the next convolution sees there the zeros a
/// sequence on its own is padded with: a sequence gets the same output alone or padded in a batch (in
/// evaluation mode; in training, batch norm's statistics also count the padded steps).
public final class ConvSequenceNetwork: Module, SequenceModel {
    public let blocks: [Sequential]
    public let dropout: Dropout
    public let head: Linear

    /// `channels`: the width of each convolution; `kernelSize` odd, so "same" padding keeps every step.
    public init(inputSize: Int, channels: [Int] = [64, 64, 64], kernelSize: Int = 5, outputSize: Int, dropout: Float = 0.2, seed: UInt64 = 0) {
        precondition(kernelSize % 2 == 1 && !channels.isEmpty && inputSize > 0 && outputSize > 0,
                     "ConvSequenceNetwork: an odd kernel size, at least one convolution and positive sizes")
        let g = RandomGenerator(seed: seed)
        var blocks: [Sequential] = [], width = inputSize
        for c in channels {
            blocks.append(Sequential { Conv1d(width, c, kernelSize: kernelSize, padding: kernelSize / 2, generator: g); BatchNorm1d(c); ReLU() })
            width = c
        }
        self.blocks = blocks
        self.dropout = Dropout(dropout, generator: RandomGenerator(seed: seed &+ 1))
        head = Linear(width, outputSize, generator: g)
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, lengths: nil) }

    public func callAsFunction(_ input: Tensor, lengths: Tensor?) -> Tensor {
        precondition(input.rank == 3, "ConvSequenceNetwork: input must be (batch, time, features), got \(input.shape)")
        let (batch, time) = (input.shape[0], input.shape[1])
        var maps = input.permuted([0, 2, 1])                      // (batch, channels, time)
        guard let lengths else {
            for block in blocks { maps = block(maps) }
            return head(dropout(maps.mean(dim: 2)))
        }
        let steps = Tensor.arange(time, device: input.device).to(.float32).reshaped([1, 1, time])
        let valid = steps.lt(lengths.to(.float32).reshaped([batch, 1, 1])).to(.float32)
        for block in blocks { maps = block(maps) * valid }
        return head(dropout(maps.sum(dim: 2) / lengths.to(.float32).reshaped([batch, 1])))
    }
}

/// Cross-entropy training for a `SequenceModel` on `SequenceDataset` batches ("input", "lengths", "target");
/// reports accuracy.
public final class SequenceClassificationStep: TrainingStep {
    public let model: any SequenceModel
    public let optimizer: Optimizer

    public init(_ model: any SequenceModel, _ optimizer: Optimizer) { (self.model, self.optimizer) = (model, optimizer) }

    public var optimizers: [String: Optimizer] { ["optimizer": optimizer] }
    public var metric: (name: String, lowerIsBetter: Bool)? { ("accuracy", false) }

    private func scores(_ batch: Batch) -> (loss: Tensor, correct: Tensor) {
        let logits = model(batch.input, lengths: batch["lengths"])
        let loss = crossEntropy(logits, batch.target)
        return (loss, logits.argmax(dim: 1).eq(batch.target).to(.float32).mean())
    }

    public func train(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        let (loss, accuracy) = scores(batch)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        let read = Tensor.stack([loss.detach(), accuracy]).scalars
        return StepOutput(loss: Double(read[0]), values: ["accuracy": Double(read[1])])
    }

    public func evaluate(on batch: Batch, trainer: Trainer) throws -> StepOutput {
        noGrad {
            let (loss, accuracy) = scores(batch)
            let read = Tensor.stack([loss, accuracy]).scalars
            return StepOutput(loss: Double(read[0]), values: ["accuracy": Double(read[1])])
        }
    }
}
