// What happened during training, epoch by epoch.

/// One epoch's results. The metric is the training step's (accuracy for classification, mean absolute
/// error for regression; 0 when the step reports none).
public struct EpochRecord: Sendable, Equatable, Codable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainMetric: Double
    public var validationLoss: Double?
    public var validationMetric: Double?
    public var learningRate: Double
    public var seconds: Double
    /// Every value the training step reported, averaged over the epoch ("kl", "d_loss", …).
    public var values: [String: Double]?

    public init(epoch: Int, trainLoss: Double, trainMetric: Double, validationLoss: Double?, validationMetric: Double?,
                learningRate: Double, seconds: Double, values: [String: Double]? = nil) {
        (self.epoch, self.trainLoss, self.trainMetric, self.validationLoss, self.validationMetric) =
            (epoch, trainLoss, trainMetric, validationLoss, validationMetric)
        (self.learningRate, self.seconds, self.values) = (learningRate, seconds, values)
    }
}

/// Epoch records in order, with the name of the metric they carry ("" when the step reports none).
public struct History: Sendable, Equatable, Codable {
    public var metricName: String
    public var epochs: [EpochRecord] = []

    public init(metricName: String) { self.metricName = metricName }
}
