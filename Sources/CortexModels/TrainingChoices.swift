// The choices a run is made of, by name: its model, task, optimiser and learning-rate schedule, as `cortex train`
// takes them and a run's config.json keeps them. Reading a name that is not one of them is an error that names
// it and the valid ones, where a string would have fallen through to a default.
import CortexCore

/// The model of a classifier or regressor: the MLP, the small CNN, or a layer spec ("linear(64), relu, linear(2)").
public enum ModelChoice: Sendable, Equatable, Codable, CustomStringConvertible {
    case mlp, cnn
    /// A layer spec, checked when the choice is made (`LayerSpec.help` lists the layers).
    case spec(String)

    /// The choice `name` stands for; a name that is neither mlp, cnn nor a spec that parses is an error that says why.
    public init(_ name: String) throws {
        switch name {
        case "mlp": self = .mlp
        case "cnn": self = .cnn
        default:
            do { try LayerSpec.check(name) } catch {
                throw RunConfigError("model '\(name)' is not mlp, cnn or a layer spec: \(error)")
            }
            self = .spec(name)
        }
    }

    /// The name the command line and config.json use.
    public var description: String {
        switch self {
        case .mlp: "mlp"
        case .cnn: "cnn"
        case .spec(let spec): spec
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        do { self = try ModelChoice(name) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// What a model predicts: a class, or a number.
public enum LearningTask: String, CaseIterable, Sendable, Codable {
    case classification, regression

    public init(from decoder: any Decoder) throws { self = try decodeChoice(decoder) }
}

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
