// The objective a Trainer minimises, with what it implies for reporting (accuracy for classifiers).

/// A training objective: the loss function and the kind of task it belongs to.
public struct Loss: Sendable {
    public let name: String
    /// Classification losses take integer class targets and report accuracy; others report MAE.
    public let isClassification: Bool
    let function: @Sendable (Tensor, Tensor) -> Tensor

    public init(name: String, isClassification: Bool, _ function: @escaping @Sendable (Tensor, Tensor) -> Tensor) {
        self.name = name
        self.isClassification = isClassification
        self.function = function
    }

    public func callAsFunction(_ output: Tensor, _ target: Tensor) -> Tensor { function(output, target) }

    public static let crossEntropy = Loss(name: "cross_entropy", isClassification: true) { CortexCore.crossEntropy($0, $1) }
    public static func crossEntropy(labelSmoothing: Float) -> Loss {
        Loss(name: "cross_entropy", isClassification: true) { CortexCore.crossEntropy($0, $1, labelSmoothing: labelSmoothing) }
    }
    public static let mse = Loss(name: "mse", isClassification: false) { output, target in
        mseLoss(output.reshaped(target.shape), target)
    }
    public static let l1 = Loss(name: "l1", isClassification: false) { output, target in
        l1Loss(output.reshaped(target.shape), target)
    }
}
