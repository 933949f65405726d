// How a training table's columns became features, saved with a model so that later tables — to
// evaluate on or predict for — are encoded the same way, whatever order, extra columns or subset of
// categories they come with.
import CortexCore
import Foundation

/// The encoding a `CSVTable` learned from its rows: each feature column numeric or with its categories,
/// the value that stands in for a missing cell, and the target with its classes.
///
/// Read a new file with `CSVTable.read(contentsOf:schema:)`: columns are matched by name (their order
/// does not matter, columns the schema does not know are ignored), a category not seen in training
/// becomes all-zero one-hot features and is counted, and a label not seen in training is an error.
public struct CSVSchema: Codable, Sendable, Equatable {
    public struct Feature: Codable, Sendable, Equatable {
        public var name: String
        /// The one-hot categories, sorted; nil for a numeric column.
        public var categories: [String]?
        /// What a missing cell becomes under `.fillMean`: the training mean, or the index of the most
        /// frequent category.
        public var fill: Float
    }

    /// The feature columns, in feature order.
    public var features: [Feature]
    /// The target column, when the table had one.
    public var target: String?
    /// The classes of a classification target, in index order; nil for regression or no target.
    public var classNames: [String]?

    /// One name per feature: the column, or `column=category` for each one-hot category.
    public var featureNames: [String] {
        features.flatMap { feature in feature.categories.map { $0.map { "\(feature.name)=\($0)" } } ?? [feature.name] }
    }

    /// Checks a schema that came from a file: names and classes distinct, at least one category per
    /// categorical feature, fills finite (and a category index for a categorical feature). Throws a
    /// `DataError` saying which entry is wrong.
    public func validate() throws {
        func duplicate(_ values: [String]) -> String? {
            var seen = Set<String>()
            return values.first { !seen.insert($0).inserted }
        }
        if let name = duplicate(features.map(\.name) + (target.map { [$0] } ?? [])) {
            throw DataError("the table schema names column '\(name)' twice")
        }
        for feature in features {
            guard feature.fill.isFinite else { throw DataError("the table schema's fill for '\(feature.name)' is \(feature.fill)") }
            guard let categories = feature.categories else { continue }
            guard !categories.isEmpty else { throw DataError("the table schema gives '\(feature.name)' no categories") }
            if let category = duplicate(categories) {
                throw DataError("the table schema lists category '\(category)' of '\(feature.name)' twice")
            }
            guard feature.fill >= 0, feature.fill < Float(categories.count), feature.fill == feature.fill.rounded() else {
                throw DataError("the table schema's fill for '\(feature.name)' is \(feature.fill), not one of its \(categories.count) categories")
            }
        }
        if let classNames {
            guard !classNames.isEmpty else { throw DataError("the table schema's target has no classes") }
            if let name = duplicate(classNames) { throw DataError("the table schema lists class '\(name)' twice") }
        }
    }
}
