// Normalisation layers: BatchNorm1d/2d and SyncBatchNorm (running statistics in buffers), LayerNorm, GroupNorm.
import CortexEngine

/// Batch normalisation over the channel axis of (N, C) / (N, C, L) (`BatchNorm1d`) or (N, C, H, W)
/// (`BatchNorm2d`). Training normalises with batch statistics and updates `runningMean`/`runningVar`
/// with `momentum`; evaluation uses the running statistics. weight = 1, bias = 0 initially.
public class BatchNorm: Module, Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    @Buffer public var runningMean: Tensor
    @Buffer public var runningVar: Tensor
    /// Steps taken in training mode (kept for PyTorch state-dict compatibility).
    @Buffer public var numBatchesTracked: Tensor
    public let eps: Float, momentum: Float
    /// Whether training normalises with the statistics of every replica's batch together (`SyncBatchNorm`)
    /// rather than this replica's alone (PyTorch's default, and the only choice in one process).
    public var synchronized = false
    /// The replicas to synchronise over; a `Trainer` with a collective sets it on every synchronised batch norm
    /// in its model for the length of `fit`. Nil (or one replica) normalises locally.
    public var replicas: (any ReplicaReduction)?
    let expectedRanks: Set<Int>
    let name: String

    init(_ numFeatures: Int, eps: Float, momentum: Float, affine: Bool, ranks: Set<Int>, name: String) {
        require(numFeatures > 0, "\(name): number of features must be positive, got \(numFeatures)")
        weight = affine ? Tensor.ones([numFeatures]).requiringGrad() : nil
        bias = affine ? Tensor.zeros([numFeatures]).requiringGrad() : nil
        runningMean = Tensor.zeros([numFeatures])
        runningVar = Tensor.ones([numFeatures])
        numBatchesTracked = Tensor.zeros([], dtype: .int64)
        self.eps = eps
        self.momentum = momentum
        expectedRanks = ranks
        self.name = name
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(expectedRanks.contains(input.rank), "\(name): expected input of rank \(expectedRanks.sorted()), got shape \(input.shape)")
        require(input.shape[1] == runningMean.count, "\(name): input shape \(input.shape) has \(input.shape[1]) channels, layer has \(runningMean.count)")
        if training { noGrad { numBatchesTracked.assign(numBatchesTracked.to(.float32) + 1) } }
        if training, synchronized, let replicas {
            return synchronizedBatchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                         momentum: momentum, eps: eps, replicas: replicas)
        }
        return batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                         training: training, momentum: momentum, eps: eps)
    }
}

/// Batch normalisation for (N, C) or (N, C, L) input, as torch.nn.BatchNorm1d.
public final class BatchNorm1d: BatchNorm {
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        super.init(numFeatures, eps: eps, momentum: momentum, affine: affine, ranks: [2, 3], name: "BatchNorm1d")
    }
}

/// Batch normalisation for (N, C, H, W) input, as torch.nn.BatchNorm2d.
public final class BatchNorm2d: BatchNorm {
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        super.init(numFeatures, eps: eps, momentum: momentum, affine: affine, ranks: [4], name: "BatchNorm2d")
    }
}

/// Batch normalisation whose training statistics cover every replica's batch under data parallelism, as
/// torch.nn.SyncBatchNorm: N replicas at batch B then normalise as one process at N×B (and end at its weights).
/// Any input (N, C, …); alone, or in evaluation mode, it is an ordinary batch norm with the same state dict.
///
/// ```swift
/// SyncBatchNorm.convert(model)          // every BatchNorm in the model synchronises…
/// trainer.collective = try DataParallel(group)  // …over the replicas this trainer trains with
/// ```
public final class SyncBatchNorm: BatchNorm {
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        super.init(numFeatures, eps: eps, momentum: momentum, affine: affine, ranks: Set(2...8), name: "SyncBatchNorm")
        synchronized = true
    }

    /// Makes every batch norm in `model` synchronise its statistics across replicas (torch's
    /// `convert_sync_batchnorm`, without replacing modules: parameters, buffers and names stay as they are).
    /// Returns how many it found.
    @discardableResult
    public static func convert(_ model: Module) -> Int {
        let norms = model.modules().compactMap { $0 as? BatchNorm }
        for norm in norms { norm.synchronized = true }
        return norms.count
    }
}

/// Layer normalisation over the trailing `normalizedShape` axes, as torch.nn.LayerNorm.
public final class LayerNorm: Module, Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let normalizedShape: [Int]
    public let eps: Float

    public init(_ normalizedShape: [Int], eps: Float = 1e-5, elementwiseAffine: Bool = true) {
        require(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 }, "LayerNorm: invalid normalized shape \(normalizedShape)")
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Tensor.ones(normalizedShape).requiringGrad() : nil
        bias = elementwiseAffine ? Tensor.zeros(normalizedShape).requiringGrad() : nil
        super.init()
    }

    public convenience init(_ features: Int, eps: Float = 1e-5, elementwiseAffine: Bool = true) {
        self.init([features], eps: eps, elementwiseAffine: elementwiseAffine)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}

/// Group normalisation, as torch.nn.GroupNorm.
public final class GroupNorm: Module, Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let numGroups: Int
    public let eps: Float

    public init(_ numGroups: Int, _ numChannels: Int, eps: Float = 1e-5, affine: Bool = true) {
        require(numGroups > 0 && numChannels % numGroups == 0, "GroupNorm: \(numGroups) groups do not divide \(numChannels) channels")
        self.numGroups = numGroups
        self.eps = eps
        weight = affine ? Tensor.ones([numChannels]).requiringGrad() : nil
        bias = affine ? Tensor.zeros([numChannels]).requiringGrad() : nil
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        groupNorm(input, numGroups: numGroups, weight: weight, bias: bias, eps: eps)
    }
}
