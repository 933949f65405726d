// The kinds of run `cortex train` makes, behind one protocol and a registry: the command parses its options into
// a `TrainRequest` and hands it here, so every kind can be started, and tested, without a subprocess.
import CortexDistributed
import Foundation

/// One kind of training run: what it accepts, and how it trains, evaluates and writes its run directory.
public protocol TrainingRun: Sendable {
    /// The kind's name in listings.
    static var name: String { get }
    /// Whether this kind trains what `request` asks for. Kinds are asked in `TrainingRuns.all`'s order, and the
    /// first that accepts runs it.
    static func accepts(_ request: TrainRequest) throws -> Bool
    /// Whether the kind trains data-parallel under mpirun (each process on its share of every batch).
    static var runsDataParallel: Bool { get }
    static func run(_ request: TrainRequest) throws
}

extension TrainingRun {
    public static var runsDataParallel: Bool { false }
}

public enum TrainingRuns {
    /// Every kind, the most specific first: supervised training takes whatever the others leave.
    public static let all: [any TrainingRun.Type] = [
        GenerativeRun.self, LanguageModelRun.self, TextClassificationRun.self, CrossValidationRun.self, SupervisedRun.self,
    ]

    /// The kind that runs `request`.
    public static func kind(for request: TrainRequest) throws -> any TrainingRun.Type {
        for kind in all where try kind.accepts(request) { return kind }
        return SupervisedRun.self
    }

    /// Checks `request`, then trains it with the kind that accepts it.
    public static func run(_ request: TrainRequest) throws {
        try request.validate()
        let kind = try kind(for: request)
        if ProcessGroup.launchedByMPI && !kind.runsDataParallel {
            throw PlainError("under mpirun, cortex train runs data-parallel classifiers and regressors (mlp, cnn, layer specs) "
                             + "without --cv, and the fortunes language models; run this one without mpirun")
        }
        try kind.run(request)
    }
}
