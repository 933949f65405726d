// The frame every application shares: a name, where its data comes from, and one `run` that fetches and
// checks the data, trains, evaluates and returns a report with the headline figures beside published ones.
import Cortex
import CortexReport
import Foundation

/// What a run is given: where data lives, whether to run the small subset, the seed, and where progress goes.
public struct ApplicationContext: Sendable {
    public let store: DataStore
    /// A small subset and few epochs, to check the whole path in seconds (the test suite runs these).
    public let quick: Bool
    public let seed: UInt64
    public let log: @Sendable (String) -> Void

    public init(store: DataStore, quick: Bool, seed: UInt64 = 0, log: @escaping @Sendable (String) -> Void = { _ in }) {
        (self.store, self.quick, self.seed, self.log) = (store, quick, seed, log)
    }
}

/// One headline figure: the data set, the metric and Cortex's value, the goal it is held to and the
/// published figures it sits beside.
public struct ApplicationFigure: Sendable, Codable, Equatable {
    public var dataset: String, metric: String
    public var value: Double
    /// The value as printed ("0.9613", "RMSE 14.2").
    public var text: String
    /// The goal ("≥ 0.95"), empty when there is none; `met` says whether the value reaches it.
    public var goal: String
    public var met: Bool?
    public var references: String

    public init(dataset: String, metric: String, value: Double, digits: Int = 4, goal: String = "", met: Bool? = nil, references: String) {
        (self.dataset, self.metric, self.value, self.goal, self.met, self.references) = (dataset, metric, value, goal, met, references)
        text = String(format: "%.\(digits)f", value)
    }
}

public struct ApplicationResult: Sendable {
    public var report: ApplicationReport
    public var figures: [ApplicationFigure]
    public init(report: ApplicationReport, figures: [ApplicationFigure]) { (self.report, self.figures) = (report, figures) }
}

public protocol Application: Sendable {
    /// The command-line name (`cortex app run NAME`).
    var name: String { get }
    /// A line for `cortex app list`.
    var summary: String { get }
    var sources: [DataSource] { get }
    /// The folder of the store that source `index` goes to (default: the application's name).
    func folder(ofSource index: Int) -> String
    func run(_ context: ApplicationContext) throws -> ApplicationResult
}

extension Application {
    public func folder(ofSource index: Int) -> String { name }

    /// Source `index`'s files (then its trees' folders), checked, and fetched first where the store may fetch.
    public func files(ofSource index: Int, in store: DataStore) throws -> [URL] {
        try store.files(of: sources[index], name: folder(ofSource: index))
    }

    /// Fetches and checks every source's data (`cortex app fetch`).
    public func fetchData(into store: DataStore) throws {
        for index in sources.indices { _ = try files(ofSource: index, in: store) }
    }
}

public enum Applications {
    public static let all: [any Application] = [VisionApplication(), LanguageApplication(), SpeechApplication(), FraudApplication(), RecommendationApplication(), HealthcareApplication(), ForecastingApplication()]

    public static func named(_ name: String) -> (any Application)? { all.first { $0.name == name } }
}

/// Seconds a body took, with its value (the applications' and the benchmarks' stopwatch).
public func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = Date()
    let value = try body()
    return (value, Date().timeIntervalSince(start))
}

func format(_ value: Double, _ digits: Int = 4) -> String { value.isFinite ? String(format: "%.\(digits)f", value) : "–" }
