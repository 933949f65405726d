// The verdicts a training report gives in plain language — overfitting from epoch N, underfitting, still
// improving, vanishing or exploding gradients, dead or saturated units, a NaN and where it came from — each with
// the numbers it rests on and what to try. The rules are simple on purpose: a reader can check each one.
import CortexCore
import Foundation

/// One finding about a training run.
public struct TrainingVerdict: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case overfitting, underfitting
        case stillImproving = "still-improving"
        case vanishingGradients = "vanishing-gradients"
        case explodingGradients = "exploding-gradients"
        case deadUnits = "dead-relus"
        case saturatedUnits = "saturated-units"
        case nonFiniteLoss = "non-finite-loss"
        case healthy
    }

    public var kind: Kind
    /// The finding, with its evidence.
    public var message: String
    /// What to try.
    public var advice: String
    /// Whether it is a problem to fix; "still improving" and "healthy" are not.
    public var isProblem: Bool { kind != .stillImproving && kind != .healthy }

    public init(_ kind: Kind, _ message: String, advice: String = "") {
        (self.kind, self.message, self.advice) = (kind, message, advice)
    }

    /// The headline a report shows for this kind.
    public var title: String {
        switch kind {
        case .overfitting: "Overfitting"
        case .underfitting: "Underfitting"
        case .stillImproving: "Still improving"
        case .vanishingGradients: "Vanishing gradients"
        case .explodingGradients: "Exploding gradients"
        case .deadUnits: "Dead ReLUs"
        case .saturatedUnits: "Saturated units"
        case .nonFiniteLoss: "Loss became NaN"
        case .healthy: "No problems found"
        }
    }

    // Thresholds, named so the rules read as sentences.
    static let overfitRise = 0.10          // validation loss 10% above its best for the last two epochs
    static let underfitShare = 0.5         // training loss still half a class-frequency guess's
    static let improvingShare = 0.005      // the last epoch beat every earlier one by 0.5%
    static let vanishingRatio = 1e-3       // an earlier layer's relative gradient 1000× below the largest
    static let thrashingRatio = 0.5        // each step moves the weights by half their size
    static let gradientGrowth = 100.0      // gradient norm grown 100× from the first samples to the last
    static let weightGrowth = 10.0         // weights grown 10× in norm
    static let deadShare = 0.5, saturatedShare = 0.5

    /// The verdicts on a run from its history and diagnostics; always at least one (`healthy` when nothing
    /// else is wrong). `chanceLoss`: the loss of guessing from class frequencies, for the underfitting rule.
    public static func assess(history: History, diagnostics: DiagnosticsRecord, chanceLoss: Double? = nil) -> [TrainingVerdict] {
        var verdicts: [TrainingVerdict] = []
        if diagnostics.stoppedOnNonFiniteLoss {
            let origin = diagnostics.nonFinite.map { "; \($0)" } ?? ""
            verdicts.append(TrainingVerdict(.nonFiniteLoss, "training stopped: a batch's loss was NaN or infinite\(origin)",
                                            advice: "lower the learning rate, clip gradients, or guard the op named (log and division of values that can reach zero)"))
        }
        verdicts += gradientVerdicts(diagnostics)
        verdicts += activityVerdicts(diagnostics)
        verdicts += curveVerdicts(history, chanceLoss: chanceLoss, diverged: diagnostics.stoppedOnNonFiniteLoss)
        if !verdicts.contains(where: \.isProblem) {
            verdicts.append(TrainingVerdict(.healthy, "no sign of over- or underfitting, vanishing or exploding gradients, or dead units"))
        }
        return verdicts
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func gradientVerdicts(_ record: DiagnosticsRecord) -> [TrainingVerdict] {
        let samples = record.gradients, layers = record.layers
        guard !samples.isEmpty, !layers.isEmpty else { return [] }
        var verdicts: [TrainingVerdict] = []
        // Each layer's typical gradient relative to its weights, ‖g‖ / ‖W‖.
        let relative = layers.indices.map { i in
            median(samples.map { $0.weightNorms[i] > 0 ? $0.gradientNorms[i] / $0.weightNorms[i] : 0 })
        }
        if let strongest = relative.indices.max(by: { relative[$0] < relative[$1] }), relative[strongest] > 0,
           let weakest = relative[..<strongest].indices.min(by: { relative[$0] < relative[$1] }),
           relative[weakest] < vanishingRatio * relative[strongest] {
            let update = median(samples.map { $0.updateRatios[weakest] })
            verdicts.append(TrainingVerdict(.vanishingGradients,
                "gradients vanish on the way back: \(layers[weakest]) gets \(sci(relative[weakest])) of its weights' size per step "
                + "against \(sci(relative[strongest])) for \(layers[strongest]), and its updates are \(sci(update)) of its weights",
                advice: "use ReLU-family activations instead of sigmoid or tanh in deep stacks, add normalisation (BatchNorm, LayerNorm) or residual connections, or make the network shallower"))
        }
        let updates = layers.indices.map { i in median(samples.map { $0.updateRatios[i] }) }
        // The first and the last few samples, not overlapping: how the whole gradient and the whole weight vector grew.
        func total(_ norms: [Double]) -> Double { norms.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let window = max(1, min(3, samples.count / 2))
        func growth(_ norms: (GradientSample) -> [Double]) -> (from: Double, to: Double) {
            (median(samples.prefix(window).map { total(norms($0)) }), median(samples.suffix(window).map { total(norms($0)) }))
        }
        let (gradientFrom, gradientTo) = growth(\.gradientNorms), (weightFrom, weightTo) = growth(\.weightNorms)
        var evidence: [String] = []
        if let worst = updates.indices.max(by: { updates[$0] < updates[$1] }), updates[worst] > thrashingRatio {
            evidence.append("each step changes \(layers[worst]) by \(sci(updates[worst])) of its size")
        }
        if samples.count >= 2, gradientFrom > 0, gradientTo > gradientGrowth * gradientFrom {
            evidence.append("the gradient norm grew from \(sci(gradientFrom)) to \(sci(gradientTo))")
        }
        if samples.count >= 2, weightFrom > 0, weightTo > weightGrowth * weightFrom {
            evidence.append("the weights' norm grew from \(sci(weightFrom)) to \(sci(weightTo))")
        }
        if record.stoppedOnNonFiniteLoss, let origin = record.nonFinite, !origin.inputsFinite {
            evidence.append("\(origin.op) became NaN or infinite through an update")
        }
        if !evidence.isEmpty {
            verdicts.append(TrainingVerdict(.explodingGradients, "updates blow up: " + evidence.joined(separator: "; "),
                                            advice: "lower the learning rate (by 10×), clip gradients (clipGradNorm), or add normalisation"))
        }
        return verdicts
    }

    static func activityVerdicts(_ record: DiagnosticsRecord) -> [TrainingVerdict] {
        guard let last = record.activity.last else { return [] }
        var verdicts: [TrainingVerdict] = []
        let dead = last.layers.filter { ($0.deadFraction ?? 0) > deadShare }
        if !dead.isEmpty {
            let list = dead.map { "layer \($0.name) \(percent($0.deadFraction!))" }.joined(separator: ", ")
            verdicts.append(TrainingVerdict(.deadUnits, "ReLU units that output zero for every probe example (they get no gradient and never recover): \(list)",
                                            advice: "lower the learning rate, use LeakyReLU or GELU, or initialise with Kaiming"))
        }
        let saturated = last.layers.filter { ($0.saturatedFraction ?? 0) > saturatedShare }
        if !saturated.isEmpty {
            let list = saturated.map { "layer \($0.name) \(percent($0.saturatedFraction!))" }.joined(separator: ", ")
            verdicts.append(TrainingVerdict(.saturatedUnits, "sigmoid or tanh outputs pinned at a bound, where their gradient is almost zero: \(list)",
                                            advice: "normalise the inputs, lower the learning rate, or use ReLU-family activations"))
        }
        return verdicts
    }

    static func curveVerdicts(_ history: History, chanceLoss: Double?, diverged: Bool) -> [TrainingVerdict] {
        let epochs = history.epochs
        guard epochs.count >= 2 else { return [] }
        var verdicts: [TrainingVerdict] = []
        let train = epochs.map(\.trainLoss), last = epochs.count - 1
        let validation = epochs.compactMap(\.validationLoss)
        var overfitting = false
        if validation.count == epochs.count {
            let best = validation.indices.min { validation[$0] < validation[$1] }!
            // Sustained: the last two epochs both above the best by the margin, so one noisy epoch is not a verdict.
            if best < last - 1, validation[(last - 1)...].allSatisfy({ $0 > validation[best] * (1 + overfitRise) }), train[last] < train[best] {
                overfitting = true
                verdicts.append(TrainingVerdict(.overfitting,
                    "overfitting from epoch \(epochs[best].epoch + 1): validation loss rose from \(fixed(validation[best])) (epoch \(epochs[best].epoch)) "
                    + "to \(fixed(validation[last])) while training loss fell from \(fixed(train[best])) to \(fixed(train[last]))",
                    advice: "stop at epoch \(epochs[best].epoch) (EarlyStopping restores its weights), add data or augmentation, dropout or weight decay, or use a smaller model"))
            }
        }
        if let chanceLoss, chanceLoss > 0, !overfitting, !diverged, train[last] > underfitShare * chanceLoss {
            verdicts.append(TrainingVerdict(.underfitting,
                "the training loss ended at \(fixed(train[last])), still \(percent(train[last] / chanceLoss)) of the \(fixed(chanceLoss)) "
                + "of guessing from the class frequencies",
                advice: "train longer or with a higher learning rate, use a larger model, or check the inputs are scaled and the labels right"))
        }
        let monitored = validation.count == epochs.count ? validation : train
        if !overfitting, !diverged, monitored[last] < monitored[..<last].min()! * (1 - improvingShare) {
            let which = validation.count == epochs.count ? "validation" : "training"
            verdicts.append(TrainingVerdict(.stillImproving,
                "the \(which) loss fell to \(fixed(monitored[last])) in the last epoch, from \(fixed(monitored[last - 1]))",
                advice: "more epochs would likely help"))
        }
        return verdicts
    }

    static func sci(_ v: Double) -> String { v == 0 ? "0" : (abs(v) >= 0.01 && abs(v) < 1000 ? String(format: "%.3g", v) : String(format: "%.1e", v)) }
    static func fixed(_ v: Double) -> String { String(format: "%.4f", v) }
    static func percent(_ v: Double) -> String { String(format: "%.0f%%", 100 * v) }
}
