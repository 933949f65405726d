// The three metric cases of the bundled reference fixtures (Resources/torch, made by scikit-learn
// 1.9 through ../shared/fixtures/torch/generate.py): every scalar in their attributes and every
// output tensor, at the case's own tolerances.
import Foundation
import Testing
import Cortex

private struct MetricsFixture {
    let attributes: [String: Any]
    let tensors: [String: Tensor]
    let rtol: Double
    let atol: Double

    init(_ name: String) throws {
        let directory = Fixtures.torchDirectory
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
        let cases = (manifest as? [String: Any])?["cases"] as? [[String: Any]] ?? []
        guard let entry = cases.first(where: { $0["name"] as? String == name }) else {
            throw MetricsError(.invalidArgument, "fixture case \(name) not in manifest")
        }
        let archive = try SafetensorsArchive(contentsOf: directory.appendingPathComponent("cases.safetensors"))
        let names = (entry["inputs"] as? [String] ?? []) + (entry["outputs"] as? [String] ?? [])
        tensors = try Dictionary(uniqueKeysWithValues: names.map { ($0, try archive.tensor("\(name)/\($0)")) })
        attributes = entry["attributes"] as? [String: Any] ?? [:]
        rtol = entry["rtol"] as? Double ?? 1e-4
        atol = entry["atol"] as? Double ?? 1e-5
    }

    func value(_ key: String) throws -> Double {
        guard let v = attributes[key] as? Double else { throw MetricsError(.invalidArgument, "attribute \(key) missing") }
        return v
    }

    func tensor(_ key: String) throws -> Tensor {
        guard let t = tensors[key] else { throw MetricsError(.invalidArgument, "tensor \(key) missing") }
        return t
    }

    /// The manifest's rule: |actual − expected| ≤ atol + rtol·|expected|.
    func expectMatch(_ actual: Double, _ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try value(key)
        #expect(abs(actual - expected) <= atol + rtol * abs(expected), "\(key): \(actual) vs \(expected)",
                sourceLocation: sourceLocation)
    }

    func expectMatch(_ actual: [Double], _ expected: [Float], _ key: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, "\(key): \(actual.count) values vs \(expected.count)", sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected.map(Double.init)) {
            #expect(abs(a - e) <= atol + rtol * abs(e), "\(key): \(a) vs \(e)", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Metrics: reference fixtures")
struct FixtureMetricsTests {
    @Test func binaryScores() throws {
        let f = try MetricsFixture("binary_scores")
        let y = try f.tensor("y_true"), s = try f.tensor("y_score")
        try f.expectMatch(try rocAUC(yTrue: y, scores: s), "roc_auc")
        try f.expectMatch(try averagePrecision(yTrue: y, scores: s), "average_precision")
        // generate.py: log_loss(y, np.clip(y_score, 1e-6, 1 - 1e-6)) on float32 scores.
        let clipped = s.scalars.map { min(max($0, Float(1e-6)), Float(1 - 1e-6)) }
        try f.expectMatch(try logLoss(yTrue: y.integers, probabilities: clipped), "log_loss")
        try f.expectMatch(try accuracy(yTrue: y.integers, yPred: s.scalars.map { $0 >= 0.5 ? 1 : 0 }), "accuracy_at_0.5")
        let curve = try rocCurve(yTrue: y, scores: s)
        f.expectMatch(curve.fpr, try f.tensor("roc_fpr").scalars, "roc_fpr")
        f.expectMatch(curve.tpr, try f.tensor("roc_tpr").scalars, "roc_tpr")
        #expect(curve.thresholds.first == .infinity)
    }

    @Test func multiclassPredictions() throws {
        let f = try MetricsFixture("multiclass_predictions")
        let y = try f.tensor("y_true"), p = try f.tensor("y_pred")
        try f.expectMatch(try accuracy(yTrue: y, yPred: p), "accuracy")
        for (average, name) in [(Average.macro, "macro"), (.micro, "micro"), (.weighted, "weighted")] {
            let scores = try precisionRecallF1(yTrue: y, yPred: p, average: average)
            try f.expectMatch(scores.precision, "precision_\(name)")
            try f.expectMatch(scores.recall, "recall_\(name)")
            try f.expectMatch(scores.f1, "f1_\(name)")
        }
        try f.expectMatch(try cohenKappa(yTrue: y, yPred: p), "cohen_kappa")
        let classes = try #require(f.attributes["num_classes"] as? Int)
        let matrix = try confusionMatrix(yTrue: y, yPred: p, labels: Array(0..<classes))
        let expected = try f.tensor("confusion_matrix")
        #expect(expected.shape == [classes, classes])
        #expect(matrix.counts.flatMap { $0 } == expected.integers)
    }

    @Test func regressionPredictions() throws {
        let f = try MetricsFixture("regression_predictions")
        let y = try f.tensor("y_true"), p = try f.tensor("y_pred")
        try f.expectMatch(try meanSquaredError(yTrue: y, yPred: p), "mse")
        try f.expectMatch(try rootMeanSquaredError(yTrue: y, yPred: p), "rmse")
        try f.expectMatch(try meanAbsoluteError(yTrue: y, yPred: p), "mae")
        try f.expectMatch(try r2Score(yTrue: y, yPred: p), "r2")
    }
}
