// The Tensor forms of the metrics: they must give exactly what the array forms give, and reject
// tensors of the wrong rank or non-integral labels with a MetricsError.
import Testing
import Cortex

@Suite("Metrics: tensor inputs")
struct TensorMetricsTests {
    private let labels = [0, 1, 2, 2, 0, 1, 1, 0]
    private let predictions = [0, 2, 2, 2, 0, 0, 1, 1]

    @Test func labelMetricsEqualArrayForms() throws {
        let t = Tensor(labels), p = Tensor(predictions)
        #expect(try accuracy(yTrue: t, yPred: p) == accuracy(yTrue: labels, yPred: predictions))
        #expect(try precisionRecallF1(yTrue: t, yPred: p, average: .macro)
                == precisionRecallF1(yTrue: labels, yPred: predictions, average: .macro))
        #expect(try perClassPrecisionRecallF1(yTrue: t, yPred: p) == perClassPrecisionRecallF1(yTrue: labels, yPred: predictions))
        #expect(try confusionMatrix(yTrue: t, yPred: p) == confusionMatrix(yTrue: labels, yPred: predictions))
        #expect(try cohenKappa(yTrue: t, yPred: p) == cohenKappa(yTrue: labels, yPred: predictions))
        #expect(try classificationReport(yTrue: t, yPred: p) == classificationReport(yTrue: labels, yPred: predictions))
        // int32 and whole-valued float32 label tensors work too.
        #expect(try accuracy(yTrue: Tensor(labels, dtype: .int32), yPred: Tensor(predictions.map(Float.init)))
                == accuracy(yTrue: labels, yPred: predictions))
    }

    @Test func scoreMetricsEqualArrayForms() throws {
        let y = [0, 1, 1, 0, 1, 0]
        let s: [Float] = [0.1, 0.9, 0.35, 0.4, 0.8, 0.3]
        let yt = Tensor(y), st = Tensor(s)
        #expect(try rocCurve(yTrue: yt, scores: st) == rocCurve(yTrue: y, scores: s))
        #expect(try rocAUC(yTrue: yt, scores: st) == rocAUC(yTrue: y, scores: s))
        #expect(try precisionRecallCurve(yTrue: yt, scores: st) == precisionRecallCurve(yTrue: y, scores: s))
        #expect(try averagePrecision(yTrue: yt, scores: st) == averagePrecision(yTrue: y, scores: s))
        #expect(try logLoss(yTrue: yt, probabilities: st) == logLoss(yTrue: y, probabilities: s))
        #expect(try topKAccuracy(yTrue: yt, scores: st, k: 1) == topKAccuracy(yTrue: y, scores: s, k: 1))

        let y3 = [0, 1, 2, 2]
        let p: [[Float]] = [[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5], [0.5, 0.125, 0.375]]
        let pt = Tensor(p.flatMap { $0 }, shape: [4, 3])
        #expect(try rocAUC(yTrue: Tensor(y3), probabilities: pt, average: .weighted) == rocAUC(yTrue: y3, probabilities: p, average: .weighted))
        #expect(try averagePrecision(yTrue: Tensor(y3), scores: pt) == averagePrecision(yTrue: y3, scores: p))
        #expect(try logLoss(yTrue: Tensor(y3), probabilities: pt) == logLoss(yTrue: y3, probabilities: p))
        #expect(try topKAccuracy(yTrue: Tensor(y3), scores: pt, k: 1) == topKAccuracy(yTrue: y3, scores: p, k: 1))
    }

    @Test func regressionEqualsArrayForms() throws {
        let t: [Float] = [1.5, -0.25, 3, 2], p: [Float] = [1, 0, 2.5, 2.25]
        #expect(try meanSquaredError(yTrue: Tensor(t), yPred: Tensor(p)) == meanSquaredError(yTrue: t, yPred: p))
        #expect(try rootMeanSquaredError(yTrue: Tensor(t), yPred: Tensor(p)) == rootMeanSquaredError(yTrue: t, yPred: p))
        #expect(try meanAbsoluteError(yTrue: Tensor(t), yPred: Tensor(p)) == meanAbsoluteError(yTrue: t, yPred: p))
        #expect(try r2Score(yTrue: Tensor(t), yPred: Tensor(p)) == r2Score(yTrue: t, yPred: p))
    }

    @Test func wrongTensorsThrow() {
        let matrix = Tensor([Float](repeating: 0.5, count: 4), shape: [2, 2])
        expectMetricsError(.invalidShape, mentions: ["yTrue", "[2, 2]"]) { _ = try accuracy(yTrue: Tensor([0, 1, 0, 1], shape: [2, 2]), yPred: Tensor([0, 1, 0, 1])) }
        expectMetricsError(.invalidValue, mentions: ["0.5"]) { _ = try accuracy(yTrue: Tensor([Float(0.5), 1]), yPred: Tensor([0, 1])) }
        expectMetricsError(.invalidShape, mentions: ["1-D"]) { _ = try rocAUC(yTrue: Tensor([0, 1]), scores: matrix) }
        expectMetricsError(.invalidShape, mentions: ["2-D"]) { _ = try rocAUC(yTrue: Tensor([0, 1]), probabilities: Tensor([Float(0.5), 0.5])) }
        expectMetricsError(.invalidShape, mentions: ["1-D"]) { _ = try meanSquaredError(yTrue: Tensor(Float(1)), yPred: Tensor(Float(1))) }
    }
}
