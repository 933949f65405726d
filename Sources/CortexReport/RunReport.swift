// The run report: what a training run produced (curves, confusion matrix, per-class scores, ROC
// curves, sample predictions), assembled into one self-contained HTML file to read or share.
import Cortex
import Foundation

/// A report on one training run, rendered as a single HTML file with inline CSS and SVG, no
/// scripts and no external resources, so it opens anywhere and survives being mailed around.
///
/// Every section is optional: one with no data (no validation set, a regression model without a
/// confusion matrix, no samples) is left out rather than shown empty.
///
/// ```swift
/// let history = try trainer.fit(train, validation: test, epochs: 20)
/// var report = RunReport(title: "Fashion-MNIST · CNN", history: history)
/// report.summary = [ReportItem("Test accuracy", "91.2%"), ReportItem("Epochs", "20")]
/// report.classNames = names
/// report.confusionMatrix = try confusionMatrix(yTrue: labels, yPred: predictions).counts
/// report.perClass = ReportClassScores.rows(of: try classificationReport(yTrue: labels, yPred: predictions,
///                                                                       targetNames: names))
/// try report.write(to: URL(fileURLWithPath: "report.html"))
/// ```
public struct RunReport: Sendable, Codable, Equatable {
    public var title: String
    /// Headline facts shown under the title: model, parameter count, epochs, test score, wall time.
    public var summary: [ReportItem]
    public var history: History
    /// Class names by index; empty for regression. Indices beyond it are shown as "class i".
    public var classNames: [String]
    /// Counts with rows as true classes and columns as predicted ones.
    public var confusionMatrix: [[Int]]?
    public var perClass: [ReportClassScores]?
    /// One-vs-rest ROC curves, one per class; may be empty.
    public var rocCurves: [ReportROCCurve]
    /// Test images with what the model predicted for them.
    public var samples: [ReportImage]
    /// Text the model wrote (a language model's samples), each under a caption such as its prompt.
    public var texts: [ReportText]?
    /// Pictures of what a generative model made: reconstructions, samples, code maps, filters.
    public var figures: [ReportFigure]?
    /// Charts of values the training step reported per epoch (a GAN's two losses).
    public var valueCharts: [ReportValueChart]?
    /// What `TrainingDiagnostics` collected, with its verdicts.
    public var diagnostics: DiagnosticsRecord?
    /// The checks of the training data made before training.
    public var dataChecks: ReportTable?
    /// Pictures of what the model learned: filters, feature maps, attributions, embedding maps.
    public var learned: [ReportFigure]?
    /// Tables of what the model learned: permutation importances.
    public var learnedTables: [ReportTable]?

    public init(title: String, summary: [ReportItem] = [], history: History, classNames: [String] = [],
                confusionMatrix: [[Int]]? = nil, perClass: [ReportClassScores]? = nil, rocCurves: [ReportROCCurve] = [],
                samples: [ReportImage] = [], texts: [ReportText] = [], figures: [ReportFigure] = [], valueCharts: [ReportValueChart] = []) {
        self.title = title
        self.summary = summary
        self.history = history
        self.classNames = classNames
        self.confusionMatrix = confusionMatrix
        self.perClass = perClass
        self.rocCurves = rocCurves
        self.samples = samples
        self.texts = texts.isEmpty ? nil : texts
        self.figures = figures.isEmpty ? nil : figures
        self.valueCharts = valueCharts.isEmpty ? nil : valueCharts
    }

    /// The complete HTML document.
    public func html() -> String {
        var sections = [headerSection(), diagnosisSection(), trainingSection(), valueChartsSection(), figuresSection()]
        // The matrix and the per-class table tell one story: side by side when there is room.
        let classSections = [confusionSection(), perClassSection()].filter { !$0.isEmpty }
        if classSections.count == 2 {
            sections.append("<div class=\"matrix-row\">\n" + classSections.joined(separator: "\n") + "\n</div>")
        } else {
            sections += classSections
        }
        sections += [rocSection(), samplesSection(), textsSection(), learnedSection(), diagnosticsSection(), dataChecksSection()]
        return htmlDocument(title: "\(title) · Cortex run report", body: sections.filter { !$0.isEmpty }.joined(separator: "\n"))
    }

    /// Writes the report atomically: the HTML goes to a temporary file in the same directory, then
    /// is renamed over `url`, so a reader (or a browser refreshing) never sees half a report.
    public func write(to url: URL) throws { try writeReportAtomically(html(), to: url) }
}

/// A complete HTML page with the reports' style sheet around `body`.
func htmlDocument(title: String, body: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1"/>
    <meta name="generator" content="Cortex \(cortexVersion)"/>
    <title>\(title.htmlEscaped)</title>
    <style>
    \(RunReport.styleSheet)
    </style>
    </head>
    <body>
    <main>
    \(body)
    <footer>Generated by Cortex \(cortexVersion).</footer>
    </main>
    </body>
    </html>

    """
}

/// Writes `html` atomically: to a temporary file in the same directory, then renamed over `url`, so a reader
/// (or a browser refreshing) never sees half a report.
func writeReportAtomically(_ html: String, to url: URL) throws {
    let directory = url.deletingLastPathComponent()
    let tempURL = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    var renamed = false
    defer { if !renamed { try? FileManager.default.removeItem(at: tempURL) } }
    // O_EXCL: never write through a file (or symlink) someone else put at the temporary name.
    let fd = open(tempURL.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ReportError("cannot create \(tempURL.path): \(String(cString: strerror(errno)))") }
    let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    do {
        try handle.write(contentsOf: Data(html.utf8))
        try handle.synchronize()
        try handle.close()
    } catch {
        throw ReportError("cannot write \(tempURL.path): \(error)")
    }
    guard rename(tempURL.path, url.path) == 0 else {
        throw ReportError("cannot rename the report into place at \(url.path): \(String(cString: strerror(errno)))")
    }
    renamed = true
}

/// A report that could not be written.
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = "report: " + description }
}

/// One labelled fact in the report's summary, such as "Parameters" and "1.2 M".
public struct ReportItem: Sendable, Codable, Equatable {
    public var label: String
    public var value: String

    public init(_ label: String, _ value: String) {
        self.label = label
        self.value = value
    }
}

/// Precision, recall and F1 of one class, and how many test samples truly belong to it.
public struct ReportClassScores: Sendable, Codable, Equatable {
    public var name: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int

    public init(name: String, precision: Double, recall: Double, f1: Double, support: Int) {
        self.name = name
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

/// A one-vs-rest ROC curve: false- and true-positive rates at decreasing thresholds, and its area.
public struct ReportROCCurve: Sendable, Codable, Equatable {
    public var name: String
    public var fpr: [Double]
    public var tpr: [Double]
    public var auc: Double

    public init(name: String, fpr: [Double], tpr: [Double], auc: Double) {
        self.name = name
        self.fpr = fpr
        self.tpr = tpr
        self.auc = auc
    }
}

/// A test image with the model's prediction and the true label.
public struct ReportImage: Sendable, Codable, Equatable {
    /// Intensities in 0…1, row-major; for colour images, red, green and blue interleaved per pixel.
    public var pixels: [Float]
    public var width: Int
    public var height: Int
    /// 1 for grayscale, 3 for RGB.
    public var channels: Int
    public var predicted: String
    public var actual: String

    public var isCorrect: Bool { predicted == actual }

    public init(pixels: [Float], width: Int, height: Int, channels: Int = 1, predicted: String, actual: String) {
        self.pixels = pixels
        self.width = width
        self.height = height
        self.channels = channels
        self.predicted = predicted
        self.actual = actual
    }
}

/// A passage of generated text and its caption.
public struct ReportText: Sendable, Codable, Equatable {
    public var caption: String
    public var text: String

    public init(caption: String, text: String) {
        self.caption = caption
        self.text = text
    }
}
