// Training diagnostics: what the optimiser did to each layer (gradient norms, update-to-weight ratios), what the
// layers did with a fixed probe batch (activation statistics, dead ReLUs, saturated sigmoids), where a NaN came
// from — collected during `fit` at little cost — and the plain-language verdicts drawn from them and the curves
// (`TrainingVerdict`).
import CortexCore
import CortexEngine

/// One sample of the optimiser's effect on each weight tensor (parameters of rank ≥ 2: linear, convolution and
/// recurrent weights), in the order of `DiagnosticsRecord.layers`.
public struct GradientSample: Codable, Sendable, Equatable {
    public var epoch: Int
    /// The optimiser step (counted from 1 in this `fit`) the sample was taken after.
    public var step: Int
    /// ‖∂loss/∂W‖ (Frobenius) of the step's gradient.
    public var gradientNorms: [Double]
    /// ‖W‖ after the step.
    public var weightNorms: [Double]
    /// ‖ΔW‖ / ‖W‖ of the step; about 1e-3 is healthy (Karpathy's rule of thumb), far below stalls, far above thrashes.
    public var updateRatios: [Double]
}

/// What one activation layer did with the probe batch.
public struct LayerActivity: Codable, Sendable, Equatable {
    /// The layer's dotted name in the model (`body.1`).
    public var name: String
    /// Its type (`ReLU`, `Sigmoid`, …).
    public var kind: String
    public var mean: Double
    public var standardDeviation: Double
    /// Outputs that are exactly zero.
    public var zeroFraction: Double
    /// Units (features of a dense layer, channels of a convolution) that are zero for every probe example and
    /// position: a ReLU unit in that state gets no gradient and never recovers. Only for ReLU layers.
    public var deadFraction: Double?
    /// Outputs within 1% of a bound where the gradient vanishes (sigmoid below 0.01 or above 0.99, tanh beyond
    /// ±0.99). Only for sigmoid and tanh layers.
    public var saturatedFraction: Double?
}

/// The activation statistics of every activation layer after one epoch.
public struct ActivitySample: Codable, Sendable, Equatable {
    public var epoch: Int
    public var layers: [LayerActivity]
}

/// Everything `TrainingDiagnostics` collected in one `fit`, and the verdicts drawn from it.
public struct DiagnosticsRecord: Codable, Sendable, Equatable {
    /// The weight tensors the gradient samples describe, by state-dict name.
    public var layers: [String] = []
    public var gradients: [GradientSample] = []
    public var activity: [ActivitySample] = []
    /// Set when training stopped on a non-finite loss and the step could name the op that produced it.
    public var nonFinite: NonFiniteOrigin?
    /// Whether training stopped on a non-finite loss.
    public var stoppedOnNonFiniteLoss = false
    public var verdicts: [TrainingVerdict] = []

    public init() {}
}

/// Collects `DiagnosticsRecord` during `Trainer.fit` and draws the verdicts when training ends.
///
/// Cost: every `sampleEvery` optimiser steps (by default ten times an epoch), one copy of the weights and one
/// read of their norms from the device; after each epoch, one evaluation-mode forward pass of the probe batch
/// through a `LayerChain` model. Nothing is read inside other steps.
///
/// ```swift
/// let diagnostics = TrainingDiagnostics(probe: train.images.sliced(0, end: 256), chanceLoss: log(10))
/// try trainer.fit(train, validation: test, epochs: 10, callbacks: [diagnostics])
/// for verdict in diagnostics.record.verdicts { print(verdict.message) }
/// ```
public final class TrainingDiagnostics: Callback {
    /// Inputs the activation statistics are measured on (nil: none are); a few hundred examples are plenty.
    public var probe: Tensor?
    /// Optimiser steps between gradient samples; nil: ten samples an epoch.
    public let sampleEvery: Int?
    /// The loss of a model that knows nothing but the class frequencies (the prior's entropy for
    /// cross-entropy), against which a training loss counts as underfitting; nil: not judged.
    public var chanceLoss: Double?
    public private(set) var record = DiagnosticsRecord()

    private var weights: [Tensor] = []
    private var before: [Tensor]?
    private var step = 0

    public init(probe: Tensor? = nil, sampleEvery: Int? = nil, chanceLoss: Double? = nil) {
        if let sampleEvery { require(sampleEvery >= 1, "TrainingDiagnostics: sampleEvery must be positive, got \(sampleEvery)") }
        (self.probe, self.sampleEvery, self.chanceLoss) = (probe, sampleEvery, chanceLoss)
    }

    public func trainingWillBegin(_ trainer: Trainer) {
        record = DiagnosticsRecord()
        let named = trainer.model.namedParameters().filter { $0.1.rank >= 2 && $0.1.requiresGrad }
        record.layers = named.map(\.0)
        weights = named.map(\.1)
        step = 0
        before = snapshot()
        if trainer.completedEpochs == 0, let sample = activity(trainer, epoch: 0) { record.activity.append(sample) }
    }

    public func batchDidEnd(_ trainer: Trainer, epoch: Int, batch: Int, batches: Int, loss: Double, samples: Int) {
        step += 1
        if let before {
            self.before = nil
            measure(epoch: epoch, before: before)
        }
        let every = sampleEvery ?? max(1, batches / 10)
        if step % every == 0 { before = snapshot() }
    }

    public func epochDidEnd(_ trainer: Trainer, record epochRecord: EpochRecord) throws {
        if let sample = activity(trainer, epoch: epochRecord.epoch) { record.activity.append(sample) }
    }

    public func trainingDidEnd(_ trainer: Trainer) throws {
        weights = []
        before = nil
        record.nonFinite = trainer.nonFiniteOrigin
        record.stoppedOnNonFiniteLoss = trainer.stoppedOnNonFiniteLoss
        record.verdicts = TrainingVerdict.assess(history: trainer.history, diagnostics: record, chanceLoss: chanceLoss)
    }

    private func snapshot() -> [Tensor]? { weights.isEmpty ? nil : noGrad { weights.map { $0.copied() } } }

    /// One read: every weight's gradient, weight and update squared norms together.
    private func measure(epoch: Int, before: [Tensor]) {
        let squares = noGrad { () -> [Double] in
            var parts: [Tensor] = []
            for (w, old) in zip(weights, before) {
                let g = w.grad ?? Tensor.zeros(like: w)
                parts += [(g * g).sum(), (w * w).sum(), ((w - old) * (w - old)).sum()]
            }
            return Tensor.stack(parts).scalars.map(Double.init)
        }
        let n = weights.count
        let gradientNorms = (0..<n).map { squares[3 * $0].squareRoot() }
        let weightNorms = (0..<n).map { squares[3 * $0 + 1].squareRoot() }
        let updateRatios = (0..<n).map { i in weightNorms[i] > 0 ? squares[3 * i + 2].squareRoot() / weightNorms[i] : 0 }
        // JSON has no NaN: a blown-up sample keeps its place with the largest finite value.
        func finite(_ v: [Double]) -> [Double] { v.map { $0.isFinite ? $0 : .greatestFiniteMagnitude } }
        record.gradients.append(GradientSample(epoch: epoch, step: step, gradientNorms: finite(gradientNorms),
                                               weightNorms: finite(weightNorms), updateRatios: finite(updateRatios)))
    }

    /// The activation layers' statistics on the probe batch, in evaluation mode (nil without a probe or a
    /// `LayerChain` model).
    private func activity(_ trainer: Trainer, epoch: Int) -> ActivitySample? {
        guard let probe, let chain = trainer.model as? any LayerChain else { return nil }
        let wasTraining = trainer.model.training
        trainer.model.eval()
        defer { trainer.model.train(wasTraining) }
        let outputs = chain.activations(probe.to(device: trainer.model.parameters().first?.device ?? probe.device))
        var statistics: [(name: String, kind: String, values: Tensor)] = []
        noGrad {
            for (name, layer, y) in outputs {
                let kind = String(describing: type(of: layer))
                guard ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "ELU"].contains(kind), y.dtype == .float32 else { continue }
                var parts = [y.mean(), y.count > 1 ? y.standardDeviation(correction: 0) : Tensor(0, device: y.device), y.eq(0).to(.float32).mean()]
                if kind == "ReLU" {
                    // A unit is one index of axis 1; it is dead if no example and no position makes it positive.
                    let units = y.rank >= 2 ? y.transposed(0, 1).reshaped([y.shape[1], -1]) : y.reshaped([1, -1])
                    parts.append(units.amax(dim: 1).le(0).to(.float32).mean())
                } else if kind == "Sigmoid" {
                    parts.append((y.lt(0.01).to(.float32) + y.gt(0.99).to(.float32)).mean())
                } else if kind == "Tanh" {
                    parts.append(y.abs().gt(0.99).to(.float32).mean())
                }
                statistics.append((name, kind, Tensor.stack(parts)))
            }
        }
        guard !statistics.isEmpty else { return ActivitySample(epoch: epoch, layers: []) }
        let read = noGrad { Tensor.cat(statistics.map(\.values)) }.scalars.map { Double($0) }
        var offset = 0
        let layers = statistics.map { name, kind, values -> LayerActivity in
            let v = read[offset..<(offset + values.count)].map { $0.isFinite ? $0 : .greatestFiniteMagnitude }
            offset += values.count
            return LayerActivity(name: name, kind: kind, mean: v[0], standardDeviation: v[1], zeroFraction: v[2],
                                 deadFraction: kind == "ReLU" ? v[3] : nil,
                                 saturatedFraction: kind == "Sigmoid" || kind == "Tanh" ? v[3] : nil)
        }
        return ActivitySample(epoch: epoch, layers: layers)
    }
}
