// A table read from a CSV file with a header row: every column typed as numeric or categorical, the
// features as one float32 matrix (categorical columns one-hot), and an optional target column.
import CortexCore
import CortexEngine
import Foundation

/// How `CSVTable` reads a file.
public struct CSVOptions: Sendable {
    /// What to do with missing values: cells equal to one of `missingMarkers`, and numbers spelled
    /// `nan`, `inf`, `-inf` or `infinity` in any case, which are never taken as values.
    public enum MissingValues: Sendable, Equatable {
        /// Throw a `DataError` listing the first few missing cells by row, line and column.
        case error
        /// Leave out every row that has a missing cell.
        case dropRows
        /// Replace a missing numeric feature with its column's mean, a missing categorical feature with
        /// its column's most frequent category. A missing target still throws: a label is not imputed.
        case fillMean
    }

    /// The field separator, an ASCII character other than a quote or a line break: `,`, `;`, `\t`, `|`, …
    public var delimiter: Character
    /// Cell texts that mean "no value"; compared after unquoted fields lose surrounding blanks.
    public var missingMarkers: Set<String>
    public var missing: MissingValues
    /// The column to predict, which is then left out of the features.
    public var target: CSVTarget?
    /// A categorical feature column with more distinct values than this is an identifier or free text,
    /// not a category: it is dropped (and listed in `CSVTable.notes`) rather than one-hot encoded. So is one
    /// with more than 20 distinct values that are distinct in more than half of the rows.
    public var maxCategories: Int

    public init(delimiter: Character = ",", missingMarkers: Set<String> = ["", "NA", "NaN", "?"],
                missing: MissingValues = .error, target: CSVTarget? = nil, maxCategories: Int = 100) {
        self.delimiter = delimiter
        self.missingMarkers = missingMarkers
        self.missing = missing
        self.target = target
        self.maxCategories = maxCategories
    }
}

/// The column a table's `target` comes from, and what kind of prediction it serves.
public enum CSVTarget: Sendable, Equatable {
    /// Class indices (int64) from a categorical or integer column. Classes are numbered in sorted order —
    /// numerically for an integer column (so labels 0…k−1 keep their values), by text otherwise — and
    /// their names are kept in `CSVTable.classNames`.
    case classification(String)
    /// Float32 values from a numeric column; a value that is not a number throws.
    case regression(String)
    /// Chosen as a person would: text labels or whole numbers with at most `CSVTarget.maxInferredClasses`
    /// distinct values are classes; any other numbers (fractions, or many distinct counts or scores) are a
    /// regression target. `CSVTable.notes` says which was chosen and why.
    case inferred(String)

    /// The most distinct whole-number values an inferred target may have and still be read as classes.
    public static let maxInferredClasses = 20

    public var column: String {
        switch self {
        case .classification(let name), .regression(let name), .inferred(let name): name
        }
    }
}

/// A CSV file as tensors.
///
/// A column is numeric when every non-missing cell parses as a decimal number (`12`, `-0.5`, `1e-3`);
/// otherwise it is categorical, and its categories are its distinct texts in sorted order. Fields follow
/// RFC 4180: quoted fields may hold delimiters, doubled quotes (`""`) and line breaks.
public struct CSVTable: Sendable {
    public enum ColumnKind: Sendable, Equatable {
        case numeric
        /// The distinct values, sorted; in `features` the column becomes one 0/1 column per category.
        case categorical([String])
        /// Not among the features, for the reason given (an identifier, or a column a schema does not know).
        case dropped(String)
    }

    /// Every column of the file, in order (the target included).
    public let columnNames: [String]
    public let columnKinds: [ColumnKind]
    /// The columns of `features`: a numeric column's name, or `name=category` for a one-hot column.
    public let featureNames: [String]
    /// Float32 `(rows, featureNames.count)`: all non-target columns, categorical ones one-hot encoded.
    public let features: Tensor
    /// Name of the target column, when one was chosen.
    public let targetName: String?
    /// Int64 `(rows)` class indices for classification, float32 `(rows)` for regression, nil without a target.
    public let target: Tensor?
    /// For classification, the class of each index, in index order; empty otherwise.
    public let classNames: [String]
    /// How many data rows `.dropRows` left out.
    public let droppedRowCount: Int
    /// The encoding of the features and target, to read later tables the same way.
    public let schema: CSVSchema
    /// What a person should know about how the file was read: dropped or ignored columns, unseen
    /// categories, the task chosen for an inferred target.
    public let notes: [String]

    /// Number of data rows kept.
    public var rowCount: Int { features.shape[0] }

    init(columnNames: [String], columnKinds: [ColumnKind], featureNames: [String], features: Tensor,
         targetName: String?, target: Tensor?, classNames: [String], droppedRowCount: Int, schema: CSVSchema? = nil,
         notes: [String] = []) {
        self.columnNames = columnNames
        self.columnKinds = columnKinds
        self.featureNames = featureNames
        self.features = features
        self.targetName = targetName
        self.target = target
        self.classNames = classNames
        self.droppedRowCount = droppedRowCount
        self.schema = schema ?? CSVSchema(
            features: zip(columnNames, columnKinds).compactMap { name, kind in
                guard name != targetName else { return nil }
                switch kind {
                case .numeric: return CSVSchema.Feature(name: name, categories: nil, fill: 0)
                case .categorical(let categories): return CSVSchema.Feature(name: name, categories: categories, fill: 0)
                case .dropped: return nil
                }
            },
            target: targetName, classNames: target?.dtype == .int64 ? classNames : nil)
        self.notes = notes
    }

    /// Reads a CSV file whose first row names the columns. Throws a `DataError` naming the file for an
    /// empty file, a header with no rows, rows whose field count differs from the header's, an unclosed
    /// quote, missing values (under `.error`), or a target column that does not fit its task.
    public static func read(contentsOf url: URL, options: CSVOptions = CSVOptions()) throws -> CSVTable {
        try parse(try readDataFile(url), path: url.path, options: options)
    }

    /// Reads a CSV file encoded as `schema` says — the features a model was trained on, in the same
    /// order — matching columns by name. The target is read when the file has the schema's target column
    /// (a label the schema does not know throws) and `readingTarget` is true, and left out otherwise;
    /// `options.target` is not used. A missing schema column throws; columns the schema does not know are
    /// ignored and listed in `notes` (the target column, when not read, is passed over silently).
    public static func read(contentsOf url: URL, schema: CSVSchema, readingTarget: Bool = true,
                            options: CSVOptions = CSVOptions()) throws -> CSVTable {
        try parse(try readDataFile(url), path: url.path, schema: schema, readingTarget: readingTarget, options: options)
    }

    /// Parses CSV bytes held in memory; `path` only labels error messages.
    public static func parse(_ data: Data, path: String? = nil, schema: CSVSchema? = nil, readingTarget: Bool = true,
                             options: CSVOptions = CSVOptions()) throws -> CSVTable {
        let scalars = options.delimiter.unicodeScalars
        let delimiter = scalars.count == 1 && scalars.first!.isASCII ? UInt8(scalars.first!.value) : 0x0A
        require(![0x22, 0x0A, 0x0D].contains(delimiter),
                "CSVOptions: the delimiter must be an ASCII character other than a quote or line break, got \(options.delimiter.debugDescription)")
        let tokens = try CSVTokens(data, delimiter: delimiter, path: path)
        do {
            return try CSVTableBuilder(tokens: tokens, options: options, schema: schema, readingTarget: readingTarget).build()
        } catch let error as DataError {
            throw error.at(path)
        }
    }
}
