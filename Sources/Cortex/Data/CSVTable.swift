// A table read from a CSV file with a header row: every column typed as numeric or categorical, the
// features as one float32 matrix (categorical columns one-hot), and an optional target column.
import CortexEngine
import Foundation

/// How `CSVTable` reads a file.
public struct CSVOptions: Sendable {
    /// What to do with missing values (cells equal to one of `missingMarkers`).
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

    public init(delimiter: Character = ",", missingMarkers: Set<String> = ["", "NA", "NaN", "?"],
                missing: MissingValues = .error, target: CSVTarget? = nil) {
        self.delimiter = delimiter
        self.missingMarkers = missingMarkers
        self.missing = missing
        self.target = target
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

    public var column: String {
        switch self {
        case .classification(let name), .regression(let name): name
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

    /// Number of data rows kept.
    public var rowCount: Int { features.shape[0] }

    init(columnNames: [String], columnKinds: [ColumnKind], featureNames: [String], features: Tensor,
         targetName: String?, target: Tensor?, classNames: [String], droppedRowCount: Int) {
        self.columnNames = columnNames
        self.columnKinds = columnKinds
        self.featureNames = featureNames
        self.features = features
        self.targetName = targetName
        self.target = target
        self.classNames = classNames
        self.droppedRowCount = droppedRowCount
    }

    /// Reads a CSV file whose first row names the columns. Throws a `DataError` naming the file for an
    /// empty file, a header with no rows, rows whose field count differs from the header's, an unclosed
    /// quote, missing values (under `.error`), or a target column that does not fit its task.
    public static func read(contentsOf url: URL, options: CSVOptions = CSVOptions()) throws -> CSVTable {
        try parse(try readDataFile(url), path: url.path, options: options)
    }

    /// Parses CSV bytes held in memory; `path` only labels error messages.
    public static func parse(_ data: Data, path: String? = nil, options: CSVOptions = CSVOptions()) throws -> CSVTable {
        let scalars = options.delimiter.unicodeScalars
        let delimiter = scalars.count == 1 && scalars.first!.isASCII ? UInt8(scalars.first!.value) : 0x0A
        require(![0x22, 0x0A, 0x0D].contains(delimiter),
                "CSVOptions: the delimiter must be an ASCII character other than a quote or line break, got \(options.delimiter.debugDescription)")
        let tokens = try CSVTokens(data, delimiter: delimiter, path: path)
        do {
            return try CSVTableBuilder(tokens: tokens, options: options).build()
        } catch let error as DataError {
            throw error.at(path)
        }
    }
}
