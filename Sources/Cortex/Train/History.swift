// What happened during training, epoch by epoch.

/// One epoch's results. Metrics are accuracy for classification and mean absolute error otherwise.
public struct EpochRecord: Sendable, Equatable, Codable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainMetric: Double
    public var validationLoss: Double?
    public var validationMetric: Double?
    public var learningRate: Double
    public var seconds: Double
}

/// Epoch records in order, with the name of the metric they carry.
public struct History: Sendable, Equatable, Codable {
    public var metricName: String
    public var epochs: [EpochRecord] = []

    public init(metricName: String) { self.metricName = metricName }
}
