// Metrics of hard predictions — accuracy, precision/recall/F1, Cohen's kappa, confusion matrix and
// the classification report — against scikit-learn 1.9.1 (`from sklearn import metrics as m`).
import Testing
import Cortex

// Label 3 is never predicted (precision 0/0) and label 4 never occurs (recall 0/0).
private let yTrue = [0, 1, 2, 2, 0, 1, 1, 3, 0, 2, 3, 1]
private let yPred = [0, 2, 2, 2, 0, 0, 1, 4, 0, 1, 0, 1]

@Suite("Metrics: classification")
struct ClassificationMetricsTests {
    // m.accuracy_score(yTrue, yPred)
    @Test func accuracyOfLabels() throws {
        #expect(try accuracy(yTrue: yTrue, yPred: yPred) == 0.5833333333333334)
    }

    // p, r, f, s = m.precision_recall_fscore_support(yTrue, yPred, zero_division=zd) for zd in 0, 1, nan
    @Test(arguments: [
        (0.0, [0.6, 0.6666666666666666, 0.6666666666666666, 0.0, 0.0], [1.0, 0.5, 0.6666666666666666, 0.0, 0.0]),
        (1.0, [0.6, 0.6666666666666666, 0.6666666666666666, 1.0, 0.0], [1.0, 0.5, 0.6666666666666666, 0.0, 1.0]),
        (.nan, [0.6, 0.6666666666666666, 0.6666666666666666, .nan, 0.0], [1.0, 0.5, 0.6666666666666666, 0.0, .nan]),
    ])
    func perClassScores(zeroDivision: Double, precision: [Double], recall: [Double]) throws {
        let scores = try perClassPrecisionRecallF1(yTrue: yTrue, yPred: yPred, zeroDivision: zeroDivision)
        #expect(scores.map(\.label) == [0, 1, 2, 3, 4])
        expectClose(scores.map(\.precision), precision)
        expectClose(scores.map(\.recall), recall)
        // F1's denominator tp + fp + tp + fn is never zero here: no class is both absent and unpredicted.
        expectClose(scores.map(\.f1), [0.75, 0.5714285714285714, 0.6666666666666666, 0.0, 0.0])
        #expect(scores.map(\.support) == [3, 4, 3, 2, 0])
    }

    // m.precision_recall_fscore_support(yTrue, yPred, average=avg, zero_division=zd)[:3]
    @Test(arguments: [
        (0.0, Average.micro, [0.5833333333333334, 0.5833333333333334, 0.5833333333333334]),
        (0.0, .macro, [0.3866666666666666, 0.4333333333333333, 0.39761904761904765]),
        (0.0, .weighted, [0.5388888888888889, 0.5833333333333334, 0.5446428571428571]),
        (1.0, .micro, [0.5833333333333334, 0.5833333333333334, 0.5833333333333334]),
        (1.0, .macro, [0.5866666666666667, 0.6333333333333333, 0.39761904761904765]),
        (1.0, .weighted, [0.7055555555555556, 0.5833333333333334, 0.5446428571428571]),
        (.nan, .macro, [0.4833333333333333, 0.5416666666666666, 0.39761904761904765]),
        (.nan, .weighted, [0.6466666666666667, 0.5833333333333334, 0.5446428571428571]),
    ])
    func averagedScores(zeroDivision: Double, average: Average, expected: [Double]) throws {
        let s = try precisionRecallF1(yTrue: yTrue, yPred: yPred, average: average, zeroDivision: zeroDivision)
        expectClose([s.precision, s.recall, s.f1], expected)
    }

    // m.precision_recall_fscore_support(yTrue, yPred, average=avg, labels=L)[:3] for L = [0, 2] (a
    // subset), [0, 9] (9 absent), and with zero_division=1, L = [8, 9] (no support: weighted falls back
    // to the plain mean).
    @Test func explicitLabels() throws {
        let expected: [(Average, [Int], Double, [Double])] = [
            (.micro, [0, 2], 0, [0.625, 0.8333333333333334, 0.7142857142857143]),
            (.macro, [0, 2], 0, [0.6333333333333333, 0.8333333333333333, 0.7083333333333333]),
            (.weighted, [0, 2], 0, [0.6333333333333333, 0.8333333333333334, 0.7083333333333334]),
            (.micro, [0, 9], 0, [0.6, 1.0, 0.75]),
            (.macro, [0, 9], 0, [0.3, 0.5, 0.375]),
            (.weighted, [0, 9], 0, [0.6, 1.0, 0.75]),
            (.weighted, [8, 9], 1, [1.0, 1.0, 1.0]),
        ]
        for (average, labels, zeroDivision, values) in expected {
            let s = try precisionRecallF1(yTrue: yTrue, yPred: yPred, average: average, labels: labels, zeroDivision: zeroDivision)
            expectClose([s.precision, s.recall, s.f1], values)
        }
    }

    // bt = [0,0,1,1,1,0,1,0,0,1]; bp = [0,1,1,1,0,0,1,1,0,1]
    // m.precision_recall_fscore_support(bt, bp, average='binary', pos_label=pl)[:3] for pl = 1, 0;
    // with labels 2/5: m.precision_recall_fscore_support([2,5,5,2,5,2,2], [2,5,2,2,5,5,2], average='binary', pos_label=5)
    @Test func binaryAverage() throws {
        let bt = [0, 0, 1, 1, 1, 0, 1, 0, 0, 1], bp = [0, 1, 1, 1, 0, 0, 1, 1, 0, 1]
        var s = try precisionRecallF1(yTrue: bt, yPred: bp)
        expectClose([s.precision, s.recall, s.f1], [0.6666666666666666, 0.8, 0.7272727272727273])
        s = try precisionRecallF1(yTrue: bt, yPred: bp, average: .binary(positiveLabel: 0))
        expectClose([s.precision, s.recall, s.f1], [0.75, 0.6, 0.6666666666666666])
        #expect(try precision(yTrue: [2, 5, 5, 2, 5, 2, 2], yPred: [2, 5, 2, 2, 5, 5, 2], average: .binary(positiveLabel: 5))
                == 0.6666666666666666)
        #expect(try recall(yTrue: bt, yPred: bp) == 0.8)
        #expect(try f1Score(yTrue: bt, yPred: bp) == 0.7272727272727273)
        // One label only, positive label absent: allowed, every ratio is 0/0 → zero_division (0).
        s = try precisionRecallF1(yTrue: [0, 0, 0], yPred: [0, 0, 0])
        #expect([s.precision, s.recall, s.f1] == [0, 0, 0])
    }

    // imb_t = [0]*18 + [1]*2; imb_p = [0]*20, zd in 0, 1:
    // m.precision_recall_fscore_support(imb_t, imb_p, average='binary' | 'macro', zero_division=zd)[:3],
    // m.cohen_kappa_score(imb_t, imb_p) == 0.0
    @Test func imbalancedClassNeverPredicted() throws {
        let t = Array(repeating: 0, count: 18) + [1, 1], p = Array(repeating: 0, count: 20)
        var s = try precisionRecallF1(yTrue: t, yPred: p)
        #expect([s.precision, s.recall, s.f1] == [0, 0, 0])
        s = try precisionRecallF1(yTrue: t, yPred: p, zeroDivision: 1)
        #expect([s.precision, s.recall, s.f1] == [1, 0, 0])   // F1's denominator 2 + 0 is not zero
        s = try precisionRecallF1(yTrue: t, yPred: p, average: .macro)
        expectClose([s.precision, s.recall, s.f1], [0.45, 0.5, 0.47368421052631576])
        s = try precisionRecallF1(yTrue: t, yPred: p, average: .macro, zeroDivision: 1)
        expectClose([s.precision, s.recall, s.f1], [0.95, 0.5, 0.47368421052631576])
        #expect(try cohenKappa(yTrue: t, yPred: p) == 0)
        #expect(try accuracy(yTrue: t, yPred: p) == 0.9)
    }

    // m.cohen_kappa_score(yTrue, yPred), weights='linear', weights='quadratic', labels=[0, 1, 2];
    // m.cohen_kappa_score([1,1,1], [1,1,1]) is nan (undefined).
    @Test func cohenKappaScores() throws {
        expectClose(try cohenKappa(yTrue: yTrue, yPred: yPred), 0.4444444444444444)
        expectClose(try cohenKappa(yTrue: yTrue, yPred: yPred, weighting: .linear), 0.5280898876404494)
        expectClose(try cohenKappa(yTrue: yTrue, yPred: yPred, weighting: .quadratic), 0.5714285714285714)
        expectClose(try cohenKappa(yTrue: yTrue, yPred: yPred, labels: [0, 1, 2]), 0.5522388059701493)
        expectClose(try cohenKappa(yTrue: yPred, yPred: yTrue), 0.4444444444444444)   // symmetric
        #expect(try cohenKappa(yTrue: [1, 1, 1], yPred: [1, 1, 1]).isNaN)
        #expect(try cohenKappa(yTrue: [1, 1, 1], yPred: [1, 1, 1], replaceUndefinedBy: 1) == 1)
    }

    // m.confusion_matrix(yTrue, yPred), labels=[4, 0, 1], and normalize='true' | 'pred' | 'all'
    @Test func confusionMatrixCounts() throws {
        let cm = try confusionMatrix(yTrue: yTrue, yPred: yPred)
        #expect(cm.labels == [0, 1, 2, 3, 4])
        #expect(cm.counts == [[3, 0, 0, 0, 0], [1, 2, 1, 0, 0], [0, 1, 2, 0, 0], [1, 0, 0, 0, 1], [0, 0, 0, 0, 0]])
        #expect(cm[3, 4] == 1 && cm[1, 0] == 1 && cm[7, 0] == nil)
        let subset = try confusionMatrix(yTrue: yTrue, yPred: yPred, labels: [4, 0, 1])
        #expect(subset.counts == [[0, 0, 0], [0, 3, 0], [0, 1, 2]])
        let byTrue = cm.normalized(over: .trueLabels)
        expectClose(byTrue[1], [0.25, 0.5, 0.25, 0, 0])
        expectClose(byTrue[2], [0, 0.3333333333333333, 0.6666666666666666, 0, 0])
        expectClose(byTrue[4], [0, 0, 0, 0, 0])   // empty row: zeros, not NaN
        let byPred = cm.normalized(over: .predictedLabels)
        expectClose(byPred.map { $0[0] }, [0.6, 0.2, 0, 0.2, 0])
        expectClose(byPred.map { $0[3] }, [0, 0, 0, 0, 0])
        expectClose(cm.normalized(over: .all)[1], [0.08333333333333333, 0.16666666666666666, 0.08333333333333333, 0, 0])
        #expect(cm.description.split(separator: "\n").count == 6)
    }

    // print(repr(m.classification_report(yTrue, yPred)))
    @Test func reportMatchesScikitLearnText() throws {
        let report = try classificationReport(yTrue: yTrue, yPred: yPred)
        #expect(report.text() == "              precision    recall  f1-score   support\n\n           0       0.60      1.00      0.75         3\n           1       0.67      0.50      0.57         4\n           2       0.67      0.67      0.67         3\n           3       0.00      0.00      0.00         2\n           4       0.00      0.00      0.00         0\n\n    accuracy                           0.58        12\n   macro avg       0.39      0.43      0.40        12\nweighted avg       0.54      0.58      0.54        12\n")
        #expect(report.description == report.text())
        #expect(report.accuracy == 0.5833333333333334)
        expectClose(report.macroAverage.f1, 0.39761904761904765)
        expectClose(report.weightedAverage.precision, 0.5388888888888889)
        #expect(report.classes.map(\.support) == [3, 4, 3, 2, 0] && report.support == 12)
    }

    // print(repr(m.classification_report(yTrue, yPred, labels=[0, 1, 2], digits=3))): a label subset
    // shows "micro avg" instead of "accuracy".
    @Test func reportOfLabelSubset() throws {
        let report = try classificationReport(yTrue: yTrue, yPred: yPred, labels: [0, 1, 2])
        #expect(report.accuracy == nil)
        #expect(report.text(digits: 3) == "              precision    recall  f1-score   support\n\n           0      0.600     1.000     0.750         3\n           1      0.667     0.500     0.571         4\n           2      0.667     0.667     0.667         3\n\n   micro avg      0.636     0.700     0.667        10\n   macro avg      0.644     0.722     0.663        10\nweighted avg      0.647     0.700     0.654        10\n")
    }

    // m.classification_report(yTrue, yPred, labels=[0,1,2,3,4], target_names=['cat','dog','bird','fish','very long name'])
    @Test func reportWithTargetNames() throws {
        let report = try classificationReport(yTrue: yTrue, yPred: yPred, labels: [0, 1, 2, 3, 4],
                                              targetNames: ["cat", "dog", "bird", "fish", "very long name"])
        #expect(report.text() == "                precision    recall  f1-score   support\n\n           cat       0.60      1.00      0.75         3\n           dog       0.67      0.50      0.57         4\n          bird       0.67      0.67      0.67         3\n          fish       0.00      0.00      0.00         2\nvery long name       0.00      0.00      0.00         0\n\n      accuracy                           0.58        12\n     macro avg       0.39      0.43      0.40        12\n  weighted avg       0.54      0.58      0.54        12\n")
        expectMetricsError(.invalidArgument, mentions: ["target names"]) {
            _ = try classificationReport(yTrue: yTrue, yPred: yPred, targetNames: ["a", "b"])
        }
    }

    @Test func invalidInputThrows() {
        expectMetricsError(.lengthMismatch, mentions: ["accuracy"]) { _ = try accuracy(yTrue: [0, 1], yPred: [0]) }
        expectMetricsError(.emptyInput) { _ = try confusionMatrix(yTrue: [], yPred: []) }
        // m.precision_score(yTrue, yPred): "Target is multiclass but average='binary'"
        expectMetricsError(.invalidArgument, mentions: ["multiclass", "binary"]) { _ = try precision(yTrue: yTrue, yPred: yPred) }
        // m.precision_score([2,5,5,2,5,2,2], [2,5,2,2,5,5,2], pos_label=1): "pos_label=1 is not a valid label"
        expectMetricsError(.invalidArgument, mentions: ["positive label 1"]) {
            _ = try precision(yTrue: [2, 5, 5, 2, 5, 2, 2], yPred: [2, 5, 2, 2, 5, 5, 2])
        }
        expectMetricsError(.invalidArgument, mentions: ["zeroDivision"]) {
            _ = try precisionRecallF1(yTrue: yTrue, yPred: yPred, average: .macro, zeroDivision: 0.5)
        }
        expectMetricsError(.invalidArgument, mentions: ["occurs in yTrue"]) { _ = try confusionMatrix(yTrue: [0, 1], yPred: [0, 1], labels: [7]) }
        expectMetricsError(.invalidArgument, mentions: ["repeated"]) { _ = try confusionMatrix(yTrue: [0, 1], yPred: [0, 1], labels: [0, 0]) }
        expectMetricsError(.invalidArgument, mentions: ["empty"]) { _ = try perClassPrecisionRecallF1(yTrue: [0], yPred: [0], labels: []) }
    }
}
