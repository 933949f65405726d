// k-fold cross-validation of a classifier or regressor (stratified for classification): the mean and spread
// of each fold's scores, printed; nothing is written.
import Cortex
import CortexModels
import Foundation

/// `--cv K`: the quality of a model estimated on K folds instead of one held-out split.
public enum CrossValidationRun: TrainingRun {
    public static let name = "cross-validation"
    public static func accepts(_ request: TrainRequest) -> Bool { request.crossValidationFolds != nil }
    public static func run(_ request: TrainRequest) throws {
        guard let folds = request.crossValidationFolds else { throw PlainError("cross-validation needs a number of folds") }
        let settings = try request.settings(resuming: nil)
        let data = try request.source.load(log: request.log)
        request.log("data: \(data.description)")
        try request.crossValidate(data, folds: folds, settings: settings)
    }
}

extension TrainRequest {
    func crossValidate(_ data: LoadedData, folds k: Int, settings: Settings) throws {
        let all = data.train
        guard k <= all.count else { throw PlainError("--cv \(k) asks for more folds than the \(all.count) examples; use at most \(all.count)") }
        if data.isClassification {
            let counts = Dictionary(grouping: all.labels, by: { $0 }).mapValues(\.count)
            if let (label, count) = counts.min(by: { $0.value < $1.value }), count < k {
                let name = label < data.classNames.count ? data.classNames[label] : String(label)
                throw PlainError("--cv \(k): class '\(name)' has only \(count) example(s), so stratified folds cannot all hold it; "
                               + "use --cv \(max(2, count)) or fewer")
            }
        }
        let folds = data.isClassification ? stratifiedKFold(labels: all.labels, k: k, seed: settings.seed)
            : kFold(count: all.count, k: k, seed: settings.seed)
        log("\(k)-fold \(data.isClassification ? "stratified " : "")cross-validation, \(settings.training.epochs) epochs per fold")
        let summary = try CortexMetrics.crossValidate(folds: k) { i in
            let fold = folds[i]
            let (config, _, evaluation, seconds) = try fit(data, train: all.subset(fold.train), test: all.subset(fold.test),
                                                           settings: settings, logDirectory: nil, quiet: true)
            let scores = try foldScores(evaluation, config: config)
            log("fold \(i + 1)/\(k): " + scores.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }
                .joined(separator: "  ") + String(format: "  (%.1f s)", seconds))
            return scores
        }
        log("\n" + summary.table(digits: 4))
    }

    /// Accuracy and macro F1 for classification; MSE, RMSE, MAE and R² (in target units) for regression.
    func foldScores(_ evaluation: Evaluation, config: RunConfig) throws -> [String: Double] {
        if config.isClassification {
            let truth = evaluation.targets.integers, predicted = evaluation.outputs.argmax(dim: 1).integers
            return ["accuracy": try accuracy(yTrue: truth, yPred: predicted),
                    "f1_macro": try f1Score(yTrue: truth, yPred: predicted, average: .macro)]
        }
        return try config.regressionScores(evaluation)
    }

}
