// The error every metric throws, and the input checks that raise it. Labels and scores come from
// users' data, so a bad length, an empty array or an impossible probability must surface as an error
// that names the function and the values, never as a trap.
import CortexCore

/// Invalid input to a metric, or a metric that is undefined for the data it was given.
///
/// `kind` lets callers tell the cases apart; `message` names the function and the offending values.
public struct MetricsError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Two inputs that must pair up element by element have different lengths.
        case lengthMismatch
        /// No samples at all.
        case emptyInput
        /// A score matrix with ragged rows, or the wrong number of columns for the classes.
        case invalidShape
        /// A value that cannot be used: NaN or infinite scores, probabilities outside [0, 1].
        case invalidValue
        /// An argument that does not fit the data: a positive label that is absent, bad `labels`, k < 1.
        case invalidArgument
        /// The metric has no value for this data, e.g. ROC AUC when `yTrue` holds one class.
        case undefined
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "metrics: \(message)" }
}

// MARK: - Checks shared by the metrics

/// Throws unless two paired inputs have the same, non-zero length.
func checkPaired(_ first: Int, _ second: Int, _ function: String,
                 names: (String, String) = ("yTrue", "yPred")) throws {
    guard first == second else {
        throw MetricsError(.lengthMismatch, "\(function): \(names.0) has \(first) elements but \(names.1) has \(second)")
    }
    guard first > 0 else { throw MetricsError(.emptyInput, "\(function): \(names.0) and \(names.1) are empty") }
}

/// The values as Double, after checking each is finite (scikit-learn's `check_array` rejects NaN and ±inf).
func finiteDoubles<T: BinaryFloatingPoint>(_ values: [T], _ function: String, name: String) throws -> [Double] {
    var result = [Double]()
    result.reserveCapacity(values.count)
    for (i, v) in values.enumerated() {
        guard v.isFinite else { throw MetricsError(.invalidValue, "\(function): \(name)[\(i)] is \(v), not a finite number") }
        result.append(Double(v))
    }
    return result
}

/// The distinct labels in ascending order (what `np.unique` returns).
func sortedUnique(_ labels: [Int]) -> [Int] { Array(Set(labels)).sorted() }

/// Checks a caller's `labels` list: at least one label and no repeats (a repeated label would make two
/// rows of a confusion matrix or two per-class scores stand for the same class).
func checkLabelList(_ labels: [Int], _ function: String) throws {
    guard !labels.isEmpty else { throw MetricsError(.invalidArgument, "\(function): labels is empty; pass at least one label or nil") }
    guard Set(labels).count == labels.count else {
        throw MetricsError(.invalidArgument, "\(function): labels \(labels) has repeated values")
    }
}

/// Checks a caller's `labels` list for a score matrix: unique, ascending (columns follow sorted labels,
/// as scikit-learn's LabelBinarizer orders them) and one per column.
func checkColumnLabels(_ labels: [Int], columns: Int, yTrue: [Int], _ function: String) throws {
    try checkLabelList(labels, function)
    guard labels == labels.sorted() else {
        throw MetricsError(.invalidArgument, "\(function): labels \(labels) must be in ascending order, one per score column")
    }
    guard labels.count == columns else {
        throw MetricsError(.invalidShape, "\(function): \(labels.count) labels but the score matrix has \(columns) columns")
    }
    let known = Set(labels)
    if let stray = yTrue.first(where: { !known.contains($0) }) {
        throw MetricsError(.invalidArgument, "\(function): yTrue contains \(stray), which is not in labels \(labels)")
    }
}

/// A rectangular matrix of finite scores, one row per sample, stored row-major in Double.
struct ScoreMatrix {
    let rows: Int
    let columns: Int
    let values: [Double]

    init<T: BinaryFloatingPoint>(_ matrix: [[T]], _ function: String, name: String = "probabilities") throws {
        rows = matrix.count
        columns = matrix.first?.count ?? 0
        var values = [Double]()
        values.reserveCapacity(rows * columns)
        for (i, row) in matrix.enumerated() {
            guard row.count == columns else {
                throw MetricsError(.invalidShape, "\(function): \(name) row \(i) has \(row.count) entries but row 0 has \(columns)")
            }
            for (j, v) in row.enumerated() {
                guard v.isFinite else { throw MetricsError(.invalidValue, "\(function): \(name)[\(i)][\(j)] is \(v), not a finite number") }
                values.append(Double(v))
            }
        }
        self.values = values
        guard columns > 0 || rows == 0 else { throw MetricsError(.invalidShape, "\(function): \(name) rows are empty") }
    }

    subscript(row: Int, column: Int) -> Double { values[row * columns + column] }

    func column(_ c: Int) -> [Double] { (0..<rows).map { values[$0 * columns + c] } }
}
