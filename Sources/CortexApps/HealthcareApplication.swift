// Healthcare: two small clinical tables scikit-learn ships (Debian's python3-sklearn), each under 5-fold
// cross-validation. Wisconsin breast cancer (569 biopsies × 30 nucleus measurements): is the tumour
// malignant? An MLP and a logistic regression, both with probabilities calibrated by temperature scaling on a
// validation split inside each training fold; accuracy, ROC-AUC, Brier score and a calibration curve.
// Diabetes progression (442 patients × 10 baseline measurements): disease progression after a year, by an MLP
// and by least-squares linear regression; R² and MAE.
import Cortex
import CortexEngine
import CortexModels
import CortexReport
import Foundation

public struct HealthcareApplication: Application {
    public init() {}
    public let name = "healthcare"
    public let summary = "breast-cancer diagnosis with calibrated probabilities and diabetes progression, 5-fold CV (python3-sklearn tables)"

    static let folder = "/usr/lib/python3/dist-packages/sklearn/datasets/data/"
    public let sources: [DataSource] = [.debian(package: "python3-sklearn", files: [
        PinnedFile(folder + "breast_cancer.csv", size: 119_913, sha256: "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed"),
        PinnedFile(folder + "diabetes_data_raw.csv.gz", size: 7_087, sha256: "fc08fc59c1cbfe65550d9ebb36321d505de9e8f004bf92c1566d2908962f08ff"),
        PinnedFile(folder + "diabetes_target.csv.gz", size: 1_044, sha256: "bf1ddd1f9d377278450a5f02c24b5e77b1501f2ad673fe9fdf4c4090d27eb5cc"),
    ])]

    static let folds = 5
    static let diabetesColumns = ["age", "sex", "bmi", "bp", "s1 tc", "s2 ldl", "s3 hdl", "s4 tch", "s5 ltg", "s6 glu"]

    public func run(_ context: ApplicationContext) throws -> ApplicationResult {
        let files = try files(ofSource: 0, in: context.store)
        let cancer = try BreastCancer.load(from: files[0])
        let (features, target) = try Self.readDiabetes(data: files[1], target: files[2])
        let (cancerPart, cancerFigures) = try breastCancer(cancer, context)
        let (diabetesPart, diabetesFigures) = try diabetes(features: features, target: target, context)
        let figures = cancerFigures + diabetesFigures
        let report = ApplicationReport(
            title: "Healthcare: breast cancer and diabetes", kicker: "Cortex application · healthcare",
            summary: figures.map { ReportItem("\($0.dataset) \($0.metric)", $0.text) },
            sections: cancerPart + diabetesPart)
        return ApplicationResult(report: report, figures: figures)
    }

    /// scikit-learn's raw diabetes files: 442 rows of 10 space-separated numbers, and 442 targets.
    static func readDiabetes(data: URL, target: URL) throws -> (features: [[Double]], target: [Double]) {
        func numbers(_ url: URL, columns: Int) throws -> [[Double]] {
            let text = String(decoding: try Gzip.decompress(try Data(contentsOf: url), path: url.path), as: UTF8.self)
            return try text.split(separator: "\n").enumerated().map { line, row in
                let cells = row.split(separator: " ").map { Double($0) }
                guard cells.count == columns, cells.allSatisfy({ $0 != nil }) else {
                    throw DataError("line \(line + 1) is not \(columns) space-separated numbers: '\(row.prefix(80))'", path: url.path)
                }
                return cells.map { $0! }
            }
        }
        let features = try numbers(data, columns: 10), values = try numbers(target, columns: 1).map { $0[0] }
        guard features.count == values.count, features.count > 0 else {
            throw DataError("\(features.count) feature rows but \(values.count) targets", path: target.path)
        }
        return (features, values)
    }

    // MARK: Breast cancer

    func breastCancer(_ table: CSVTable, _ context: ApplicationContext) throws -> ([ApplicationReport.Section], [ApplicationFigure]) {
        let x = table.features, labels = table.target!.integers
        // Malignant (class 0 in scikit-learn's file) is the finding a screen looks for: it is the positive class.
        let malignant = labels.map { $0 == 0 ? 1 : 0 }
        let folds = stratifiedKFold(labels: malignant, k: Self.folds, shuffle: true, seed: context.seed)
        let values = x.scalars, width = x.shape[1]
        let rowsOfX = (0..<x.shape[0]).map { i in values[(i * width)..<((i + 1) * width)].map(Double.init) }
        let quality = DataQuality(rows: rowsOfX, columns: table.featureNames, labels: malignant, classNames: ["benign", "malignant"],
                                  splits: [("training folds (fold 1)", folds[0].train), ("test fold (fold 1)", folds[0].test)])
        let models: [(name: String, hidden: [Int], learningRate: Float)] = [("MLP 30-32-16-2", [32, 16], 1e-3), ("logistic regression", [], 1e-2)]
        var probability = [[Double]](repeating: [Double](repeating: .nan, count: labels.count), count: models.count)
        var uncalibrated = probability
        var accuracies = [[Double]](repeating: [], count: models.count)
        var epochsChosen = [[Int]](repeating: [], count: models.count)
        let y = Tensor(malignant)
        for (f, fold) in folds.enumerated() {
            // Model choice (the epoch, the temperature) on a fifth of the training folds; the test fold is used once.
            let inner = stratifiedKFold(labels: fold.train.map { malignant[$0] }, k: 5, shuffle: true, seed: context.seed &+ UInt64(f))[0]
            let fit = inner.train.map { fold.train[$0] }, validation = inner.test.map { fold.train[$0] }
            let scale = Standardizer(fitting: selectRows(x, fit))
            let train = TensorDataset(inputs: scale(selectRows(x, fit)), targets: selectRows(y, fit))
            let check = TensorDataset(inputs: scale(selectRows(x, validation)), targets: selectRows(y, validation))
            for (m, spec) in models.enumerated() {
                let model = MLP(inputSize: 30, hiddenSizes: spec.hidden, outputSize: 2, seed: context.seed &+ UInt64(f))
                let epoch = try fitChoosingEpoch(model, loss: .crossEntropy, train: train, validation: check,
                                                 epochs: context.quick ? 15 : 300, batchSize: 32, learningRate: spec.learningRate,
                                                 weightDecay: 1e-4, patience: 30, seed: context.seed &+ UInt64(f))
                epochsChosen[m].append(epoch)
                let temperature = noGrad { fitTemperature(logits: model(check.inputs), labels: check.targets) }
                let logits = noGrad { model(scale(selectRows(x, fold.test))) }
                let calibrated = noGrad { (logits / temperature).softmax(dim: 1) }.scalars, raw = noGrad { logits.softmax(dim: 1) }.scalars
                var correct = 0
                for (k, i) in fold.test.enumerated() {
                    probability[m][i] = Double(calibrated[k * 2 + 1])
                    uncalibrated[m][i] = Double(raw[k * 2 + 1])
                    if (probability[m][i] >= 0.5 ? 1 : 0) == malignant[i] { correct += 1 }
                }
                accuracies[m].append(Double(correct) / Double(fold.test.count))
            }
            context.log("breast cancer: fold \(f + 1)/\(Self.folds) accuracy " + models.indices.map { format(accuracies[$0].last!) }.joined(separator: " / "))
        }
        var rowsOut: [[String]] = [], rocSeries: [ApplicationReport.Series] = [], calibrationSeries: [ApplicationReport.Series] = []
        var figures: [ApplicationFigure] = []
        var confusion: [[Int]] = []
        for (m, spec) in models.enumerated() {
            let accuracy = mean(accuracies[m]), auc = try rocAUC(yTrue: malignant, scores: probability[m])
            let brier = try brierScore(yTrue: malignant, probabilities: probability[m])
            let brierRaw = try brierScore(yTrue: malignant, probabilities: uncalibrated[m])
            rowsOut.append([spec.name, "\(format(accuracy)) ± \(format(standardDeviation(accuracies[m])))", format(auc),
                            format(brier), format(brierRaw), epochsChosen[m].map(String.init).joined(separator: ", ")])
            let roc = try rocCurve(yTrue: malignant, scores: probability[m])
            rocSeries.append(.init("\(spec.name) (AUC \(format(auc, 3)))", xs: roc.fpr, ys: roc.tpr))
            let curve = try calibrationCurve(yTrue: malignant, probabilities: probability[m], bins: 10)
            calibrationSeries.append(.init(spec.name, xs: curve.meanPredicted, ys: curve.fractionPositive))
            if m == 0 {
                figures.append(ApplicationFigure(dataset: "breast cancer", metric: "accuracy (5-fold CV, \(spec.name))", value: accuracy,
                                                 goal: "≥ 0.96", met: accuracy >= 0.96, references: "logistic regression / SVM / MLP 0.96–0.99"))
                figures.append(ApplicationFigure(dataset: "breast cancer", metric: "ROC-AUC", value: auc, references: "≈ 0.99"))
                figures.append(ApplicationFigure(dataset: "breast cancer", metric: "Brier score", value: brier, references: "lower is better"))
                confusion = try confusionMatrix(yTrue: malignant, yPred: probability[m].map { $0 >= 0.5 ? 1 : 0 }, labels: [0, 1]).counts
            }
        }
        let sections = [
            quality.section("Breast cancer: the data"),
            ApplicationReport.Section("Breast cancer: 5-fold cross-validation",
                note: "Stratified folds (seed \(context.seed)); in each, the epoch and the temperature are chosen on a fifth of the training folds, "
                    + "then the test fold is predicted once. Malignant is the positive class. Probabilities below are out-of-fold.",
                [.table(header: ["model", "accuracy (mean ± sd)", "ROC-AUC", "Brier (calibrated)", "Brier (raw softmax)", "epochs chosen"], rows: rowsOut),
                 .chart(.init(title: "ROC, out-of-fold", xLabel: "false positive rate", yLabel: "true positive rate", series: rocSeries,
                              unitSquare: true, reference: [(0, 0), (1, 1)])),
                 .chart(.init(title: "Calibration (10 bins)", xLabel: "mean predicted probability of malignant", yLabel: "share malignant",
                              series: calibrationSeries, unitSquare: true, reference: [(0, 0), (1, 1)])),
                 .confusion(matrix: confusion, classNames: ["benign", "malignant"])]),
        ]
        return (sections, figures)
    }

    // MARK: Diabetes

    func diabetes(features: [[Double]], target: [Double], _ context: ApplicationContext) throws -> ([ApplicationReport.Section], [ApplicationFigure]) {
        let folds = kFold(count: target.count, k: Self.folds, shuffle: true, seed: context.seed)
        let quality = DataQuality(rows: zip(features, target).map { $0 + [$1] }, columns: Self.diabetesColumns + ["progression"],
                                  splits: [("training folds (fold 1)", folds[0].train), ("test fold (fold 1)", folds[0].test)])
        let x = matrix(features), y = Tensor(target.map { Float($0) }, shape: [target.count, 1])
        var predictions: [String: [Double]] = ["MLP 10-16-1": [Double](repeating: .nan, count: target.count),
                                               "linear regression (least squares)": [Double](repeating: .nan, count: target.count)]
        var r2: [String: [Double]] = [:], mae: [String: [Double]] = [:]
        for (f, fold) in folds.enumerated() {
            let inner = kFold(count: fold.train.count, k: 5, shuffle: true, seed: context.seed &+ UInt64(f))[0]
            let fit = inner.train.map { fold.train[$0] }, validation = inner.test.map { fold.train[$0] }
            let scale = Standardizer(fitting: selectRows(x, fit)), targetScale = Standardizer(fitting: selectRows(y, fit))
            let model = MLP(inputSize: 10, hiddenSizes: [16], outputSize: 1, seed: context.seed &+ UInt64(f))
            try fitChoosingEpoch(model, loss: .mse,
                                 train: TensorDataset(inputs: scale(selectRows(x, fit)), targets: targetScale(selectRows(y, fit))),
                                 validation: TensorDataset(inputs: scale(selectRows(x, validation)), targets: targetScale(selectRows(y, validation))),
                                 epochs: context.quick ? 15 : 500, batchSize: 32, learningRate: 1e-3, weightDecay: 1e-3, patience: 40,
                                 seed: context.seed &+ UInt64(f))
            let mlp = noGrad { model(scale(selectRows(x, fold.test))) * targetScale.std + targetScale.mean }.scalars.map { Double($0) }
            // Least squares needs no validation split: it is fitted on every training row.
            let coefficients = try leastSquares(fold.train.map { features[$0] }, fold.train.map { target[$0] })
            let linear = fold.test.map { i in coefficients[0] + zip(features[i], coefficients.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 } }
            for (name, values) in [("MLP 10-16-1", mlp), ("linear regression (least squares)", linear)] {
                let truth = fold.test.map { target[$0] }
                r2[name, default: []].append(try r2Score(yTrue: truth, yPred: values))
                mae[name, default: []].append(try meanAbsoluteError(yTrue: truth, yPred: values))
                for (k, i) in fold.test.enumerated() { predictions[name]![i] = values[k] }
            }
            context.log("diabetes: fold \(f + 1)/\(Self.folds) R² MLP \(format(r2["MLP 10-16-1"]!.last!)), linear \(format(r2["linear regression (least squares)"]!.last!))")
        }
        let names = ["MLP 10-16-1", "linear regression (least squares)"]
        let rowsOut = names.map { name in
            [name, "\(format(mean(r2[name]!))) ± \(format(standardDeviation(r2[name]!)))", "\(format(mean(mae[name]!), 2)) ± \(format(standardDeviation(mae[name]!), 2))"]
        }
        // Predicted against actual, by tenths of the predictions: a well-fitted model sits on the diagonal.
        let deciles = names.map { name -> ApplicationReport.Series in
            let order = predictions[name]!.indices.sorted { predictions[name]![$0] < predictions[name]![$1] }
            let groups = (0..<10).map { g in Array(order[(g * order.count / 10)..<((g + 1) * order.count / 10)]) }
            return .init(name, xs: groups.map { g in mean(g.map { predictions[name]![$0] }) }, ys: groups.map { g in mean(g.map { target[$0] }) })
        }
        let low = target.min()!, high = target.max()!
        let figures = [
            ApplicationFigure(dataset: "diabetes", metric: "R² (5-fold CV, MLP)", value: mean(r2[names[0]]!), goal: "≥ 0.40",
                              met: mean(r2[names[0]]!) >= 0.40, references: "linear model ≈ 0.45–0.50 held out"),
            ApplicationFigure(dataset: "diabetes", metric: "R² (5-fold CV, linear)", value: mean(r2[names[1]]!), references: "≈ 0.45–0.50"),
            ApplicationFigure(dataset: "diabetes", metric: "MAE (MLP)", value: mean(mae[names[0]]!), digits: 2, references: "≈ 43–45"),
        ]
        let sections = [
            quality.section("Diabetes: the data"),
            ApplicationReport.Section("Diabetes: 5-fold cross-validation",
                note: "Shuffled folds (seed \(context.seed)); the MLP's epoch is chosen on a fifth of the training folds. R² and MAE are the means over folds, as cross_val_score reports them.",
                [.table(header: ["model", "R² (mean ± sd)", "MAE (mean ± sd)"], rows: rowsOut),
                 .chart(.init(title: "Predicted against actual, by tenths of the predictions", xLabel: "mean prediction",
                              yLabel: "mean actual progression", series: deciles, reference: [(low, low), (high, high)]))]),
        ]
        return (sections, figures)
    }
}

func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }

/// Sample standard deviation (n − 1), as a spread over folds or seeds is usually quoted.
func standardDeviation(_ values: [Double]) -> Double {
    guard values.count > 1 else { return 0 }
    let m = mean(values)
    return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
}

/// Ordinary least squares with an intercept: [b0, b1, …] minimising Σ (y − b0 − x·b)², by LAPACK's SVD-based
/// dgelsd on the design matrix itself (the normal equations would square its condition number, and lose half the
/// digits of a badly scaled table).
func leastSquares(_ x: [[Double]], _ y: [Double]) throws -> [Double] {
    let p = (x.first?.count ?? 0) + 1
    guard !x.isEmpty, x.count == y.count, x.allSatisfy({ $0.count == p - 1 }) else {
        throw DataError("least squares: \(x.count) rows of features against \(y.count) targets")
    }
    // Singular values under 1e-12 of the largest count as zero: columns dependent to 12 digits are dependent.
    let (solution, rank) = try LAPACK.leastSquares(x.flatMap { [1] + $0 }, rows: x.count, columns: p, y, relativeCutoff: 1e-12)
    guard rank == p else { throw DataError("least squares: the columns are linearly dependent (rank \(rank) of \(p))") }
    return solution
}
