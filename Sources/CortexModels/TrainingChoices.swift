// The optimiser and learning-rate schedule a run trains with, by name: what `cortex train --optimizer` and
// `--schedule` take and a run's config.json keeps. Reading a name that is not one of them is an error that names
// it and the valid ones, where a string would have fallen through to a default.
import CortexCore

/// An optimiser by the name the command line and config.json use.
public enum OptimizerChoice: String, CaseIterable, Sendable, Codable {
    case adam, adamw, sgd, rmsprop, adagrad

    /// This optimiser over `parameters`: SGD with momentum 0.9, the others with PyTorch's defaults.
    public func make(_ parameters: [Tensor], learningRate: Float) -> Optimizer {
        switch self {
        case .adam: Adam(parameters, learningRate: learningRate)
        case .adamw: AdamW(parameters, learningRate: learningRate)
        case .sgd: SGD(parameters, learningRate: learningRate, momentum: 0.9)
        case .rmsprop: RMSprop(parameters, learningRate: learningRate)
        case .adagrad: Adagrad(parameters, learningRate: learningRate)
        }
    }

    public init(from decoder: any Decoder) throws { self = try decodeChoice(decoder) }
}

/// A learning-rate schedule over a run, by name.
public enum ScheduleChoice: String, CaseIterable, Sendable, Codable {
    /// The rate stays as given.
    case none
    /// Cosine annealing to 0 over the run.
    case cosine
    /// Halved every third of the run.
    case step

    /// This schedule of `optimizer`'s rate over `epochs`, or nil for none.
    public func make(_ optimizer: Optimizer, epochs: Int) -> LearningRateSchedule? {
        switch self {
        case .none: nil
        case .cosine: CosineAnnealingLR(optimizer, tMax: epochs)
        case .step: StepLR(optimizer, stepSize: max(1, epochs / 3), gamma: 0.5)
        }
    }

    public init(from decoder: any Decoder) throws { self = try decodeChoice(decoder) }
}

/// A choice decoded from its name; an unknown name is a decoding error that lists the valid ones.
private func decodeChoice<Choice: RawRepresentable & CaseIterable>(_ decoder: any Decoder) throws -> Choice where Choice.RawValue == String {
    let container = try decoder.singleValueContainer()
    let name = try container.decode(String.self)
    guard let choice = Choice(rawValue: name) else {
        throw DecodingError.dataCorruptedError(
            in: container, debugDescription: "'\(name)' is not one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return choice
}
