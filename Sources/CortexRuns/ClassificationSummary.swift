// The evaluation a classifier's user reads: per-class precision/recall/F1, the confusion matrix and
// accuracy, computed with the scikit-learn-exact metrics.
import Cortex
import CortexReport
import Foundation

package struct ClassificationSummary {
    package let accuracy: Double
    package let report: ClassificationReport
    package let matrix: ConfusionMatrix
    package let classNames: [String]
    package let predicted: [Int]
    package let truth: [Int]
    /// Softmax probabilities (examples × classes), for ROC curves.
    package let probabilities: Tensor

    package init(evaluation: Evaluation, classNames: [String]) throws {
        truth = evaluation.targets.integers
        predicted = evaluation.outputs.argmax(dim: 1).integers
        probabilities = evaluation.outputs.softmax(dim: 1)
        let labels = Array(0..<classNames.count)
        self.classNames = classNames
        accuracy = try Cortex.accuracy(yTrue: truth, yPred: predicted)
        report = try classificationReport(yTrue: truth, yPred: predicted, labels: labels, targetNames: classNames)
        matrix = try confusionMatrix(yTrue: truth, yPred: predicted, labels: labels)
    }

    /// The report and the confusion matrix, with short class names as column headers.
    package var text: String {
        var lines = [report.text(digits: 3), "confusion matrix (rows: true class, columns: predicted)"]
        let width = max(5, (matrix.counts.flatMap { $0 }.max() ?? 0).description.count + 1)
        let nameWidth = classNames.map(\.count).max() ?? 0
        let header = String(repeating: " ", count: nameWidth + 1) + (0..<classNames.count).map { pad(String($0), width) }.joined()
        lines.append(header)
        for (i, row) in matrix.counts.enumerated() {
            lines.append(pad(classNames[i], nameWidth, left: true) + " " + row.map { pad(String($0), width) }.joined() + "   \(i)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One-vs-rest ROC curve of every class that has both positives and negatives.
    package func rocCurves() throws -> [ReportROCCurve] {
        let columns = probabilities.T.contiguous()
        return try classNames.indices.compactMap { c -> ReportROCCurve? in
            let positives = truth.map { $0 == c ? 1 : 0 }
            guard positives.contains(1) && positives.contains(0) else { return nil }
            return ReportROCCurve(name: classNames[c], curve: try rocCurve(yTrue: positives, scores: columns[c].scalars))
        }
    }

    /// A report of the run: curves, confusion matrix, per-class scores, ROC curves and sample images.
    package func report(title: String, summary: [ReportItem], history: History, images: Tensor, sampleCount: Int = 16) throws -> RunReport {
        let (height, width) = (images.size(-2), images.size(-1))
        // Mostly the first test images, plus a few mistakes, which say more about a model.
        let shown = 0..<min(truth.count, images.shape[0])   // tables pass no images
        let wrong = shown.filter { truth[$0] != predicted[$0] }.prefix(sampleCount / 4)
        let first = shown.filter { !wrong.contains($0) }.prefix(sampleCount - wrong.count)
        let samples = (Array(first) + wrong).sorted().map { i in
            ReportImage(pixels: images[i].scalars, width: width, height: height,
                        predicted: classNames[predicted[i]], actual: classNames[truth[i]])
        }
        return RunReport(title: title, summary: summary, history: history, classNames: classNames,
                         confusionMatrix: matrix.counts, perClass: ReportClassScores.rows(of: report),
                         rocCurves: try rocCurves(), samples: samples)
    }

    private func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? s + fill : fill + s
    }
}
