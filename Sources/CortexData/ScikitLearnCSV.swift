// The small tables scikit-learn ships as CSV (breast_cancer.csv, iris.csv, wine_data.csv), whose first
// line is not a header but counts and class names; and the Wisconsin breast-cancer table built on them.
import CortexCore
import Foundation

/// Reads scikit-learn's bundled-table format:
///
/// ```
/// 569,30,malignant,benign        <- n_samples, n_features, then the class names (index order)
/// 17.99,10.38,…,0.1189,0          <- n_features numbers, then the class index
/// ```
///
/// The result is a `CSVTable` whose columns are `featureNames` (default `feature0`…) plus `target`, all
/// numeric, with an int64 classification target and `classNames` from the first line. Throws a
/// `DataError` naming the file and line when the counts, a number or a class index do not hold.
public enum ScikitLearnCSV {
    public static func read(contentsOf url: URL, featureNames: [String]? = nil) throws -> CSVTable {
        do {
            return try parse(try readDataFile(url), featureNames: featureNames)
        } catch let error as DataError {
            throw error.at(url.path)
        }
    }

    static func parse(_ data: Data, featureNames givenNames: [String]?) throws -> CSVTable {
        let tokens = try CSVTokens(data, delimiter: UInt8(ascii: ","), path: nil)
        guard tokens.rowCount > 0 else { throw DataError("the file is empty: expected the line n_samples,n_features,class names…") }
        let first = (0..<tokens.fieldCount(row: 0)).map { tokens.string(row: 0, column: $0) }
        guard first.count >= 2, let sampleCount = Int(first[0]), let featureCount = Int(first[1]),
              sampleCount >= 0, featureCount >= 0 else {
            throw DataError("line 1 is '\(first.joined(separator: ","))', not n_samples,n_features,class names… "
                            + "(scikit-learn's bundled-table format)")
        }
        let classNames = Array(first.dropFirst(2))
        let featureNames = givenNames ?? (0..<featureCount).map { "feature\($0)" }
        guard featureNames.count == featureCount else {
            throw DataError("line 1 declares \(featureCount) features but \(featureNames.count) feature names were given")
        }
        guard tokens.rowCount - 1 == sampleCount else {
            throw DataError("line 1 declares \(sampleCount) samples but \(tokens.rowCount - 1) data rows follow")
        }

        let width = featureCount + 1
        var x = [Float](repeating: 0, count: sampleCount * featureCount), y = [Int](repeating: 0, count: sampleCount)
        do {
            try tokens.bytes.withUnsafeBufferPointer { bytes in
                for row in 0..<sampleCount {
                    let line = tokens.rowLines[row + 1]
                    guard tokens.fieldCount(row: row + 1) == width else {
                        throw DataError("line \(line) has \(tokens.fieldCount(row: row + 1)) fields, expected \(featureCount) "
                                        + "features and a class index")
                    }
                    for column in 0..<width {
                        let field = tokens.rowStarts[row + 1] + column
                        let start = tokens.fieldStart(field)
                        guard let value = parseDecimal(bytes.baseAddress! + start, count: tokens.fieldEnds[field] - start) else {
                            throw DataError("line \(line), column \(column + 1): '\(tokens.string(row: row + 1, column: column))' "
                                            + "is not a number")
                        }
                        if column < featureCount { x[row * featureCount + column] = value; continue }
                        guard value == value.rounded(), value >= 0, classNames.isEmpty || Int(value) < classNames.count else {
                            throw DataError("line \(line): class index \(value) is not one of 0..<\(classNames.count) "
                                            + "(\(classNames.joined(separator: ", ")))")
                        }
                        y[row] = Int(value)
                    }
                }
            }
        }
        let features = Tensor(x, shape: [sampleCount, featureCount]), target = Tensor(y)
        return CSVTable(columnNames: featureNames + ["target"], columnKinds: Array(repeating: .numeric, count: width),
                        featureNames: featureNames, features: features, targetName: "target", target: target,
                        classNames: classNames, droppedRowCount: 0)
    }
}

/// The Wisconsin diagnostic breast-cancer table (569 tumours, 30 features computed from cell-nucleus
/// images, 212 malignant and 357 benign), as scikit-learn ships it: class 0 is malignant, 1 benign.
public enum BreastCancer {
    /// Where Debian's python3-sklearn package installs the file.
    public static let defaultURL = URL(fileURLWithPath: "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv")

    /// The 30 features in file order: mean, standard error and worst value of ten nucleus measurements,
    /// named as `sklearn.datasets.load_breast_cancer().feature_names`.
    public static let featureNames: [String] = ["mean", "error", "worst"].flatMap { statistic in
        ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points",
         "symmetry", "fractal dimension"].map { statistic == "error" ? "\($0) error" : "\(statistic) \($0)" }
    }

    /// Reads the table: `features` float32 (569, 30), `target` int64 (569), `classNames` ["malignant", "benign"].
    public static func load(from url: URL = defaultURL) throws -> CSVTable {
        if !FileManager.default.fileExists(atPath: url.path) {
            throw DataError("breast_cancer.csv not found (on Debian: apt-get install python3-sklearn)", path: url.path)
        }
        return try ScikitLearnCSV.read(contentsOf: url, featureNames: featureNames)
    }
}
