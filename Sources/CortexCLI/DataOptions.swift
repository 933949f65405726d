// The data options that train, evaluate and predict share, parsed into the library's `ExampleSource`.
import ArgumentParser
import CortexModels
import CortexRuns

struct DataOptions: ParsableArguments {
    @Option(help: "A built-in data set: fashion-mnist (Debian's dataset-fashion-mnist, or --data-dir), fashion-mnist-subset (the 3000 + 1000 images bundled with cortex), breast-cancer (python3-sklearn) or fortunes (Debian's fortunes, for --model lstm|gpt language models).")
    var data: String?

    @Option(help: "Directory holding Fashion-MNIST's four IDX files (default /usr/share/datasets/fashion-mnist).")
    var dataDir: String?

    @Option(help: "A CSV table with a header row (scikit-learn's bundled format is detected too).")
    var csv: String?

    @Option(help: "The CSV column to predict (evaluate: default the run's).")
    var target: String?

    @Option(help: "classification or regression (default: chosen from the target column — text or at most 20 distinct whole numbers is classification — and printed).")
    var task: LearningTask?

    @Option(help: "Missing cells in a CSV table (empty, NA, NaN, ?, nan, inf): error (the default) lists them, drop leaves out their rows, mean fills them with the column mean or most frequent category.")
    var missing: String?

    @Option(parsing: .unconditional, help: "Use only the first N examples of each split (for quick runs).")
    var limit: Int?

    var exampleSource: ExampleSource {
        ExampleSource(data: data, dataDir: dataDir, csv: csv, target: target, task: task, missing: missing, limit: limit)
    }

    func validate() throws {
        do { try exampleSource.validate() } catch let error as PlainError { throw ValidationError(error.description) }
    }
}

extension LearningTask: ExpressibleByArgument {}
