// Reading new inputs for a trained run: IDX images, or CSV rows with the training table's columns, encoded as in
// training. Shared by `cortex predict` and `cortex explain`.
import Cortex
import CortexRuns
import CortexModels
import Foundation

/// IDX images (detected by their magic number) or CSV rows encoded as in training.
func readModelInputs(_ url: URL, config: RunConfig, missing: String?) throws -> Tensor {
    let bytes = [UInt8](try readHead(url, bytes: 4))
    let isGzip = bytes.starts(with: [0x1f, 0x8b]), isIDX = bytes.count == 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08
    if isGzip || isIDX {
        let raw = try IDX.read(contentsOf: url)
        guard raw.rank == 3 else { throw PlainError("\(url.path): expected an IDX image file (count × height × width), got shape \(raw.shape)") }
        let images = raw.to(.float32).unsqueezed(1) / 255
        guard Array(images.shape.dropFirst()) == config.inputShape else {
            throw PlainError("\(url.path): images of shape \(Array(images.shape.dropFirst())) but the model expects \(config.inputShape)")
        }
        return images
    }
    guard config.inputShape.count == 1 else {
        throw PlainError("\(url.path) is not an IDX image file, and this run's model takes images of shape \(config.inputShape)")
    }
    let missingValues = MissingOption.policy(missing)
    guard let schema = config.schema else {
        // Runs trained on scikit-learn's format record their feature names only.
        let table = try CSVTable.read(contentsOf: url, options: CSVOptions(missing: missingValues))
        guard table.featureNames == config.featureNames else {
            throw PlainError("\(url.path): columns differ from the training table's \(config.featureNames.prefix(8))")
        }
        return table.features
    }
    // The target is left out even when the table has it: predictions need no labels.
    let table = try CSVTable.read(contentsOf: url, schema: schema, readingTarget: false, options: CSVOptions(missing: missingValues))
    for note in table.notes {
        FileHandle.standardError.write(Data("note: \(note)\n".utf8))
    }
    if table.droppedRowCount > 0 {
        FileHandle.standardError.write(Data("note: \(table.droppedRowCount) row(s) with missing values left out; indices count the rows kept\n".utf8))
    }
    return table.features
}
