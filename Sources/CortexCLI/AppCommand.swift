// `cortex app list`, `cortex app fetch [NAME…]` and `cortex app run NAME`: the applications on real data, each
// fetching and checking its data, training, evaluating, and writing reports/apps/NAME/report.html and result.json.
import ArgumentParser
import Cortex
import CortexRuns
import CortexApps
import Foundation

struct AppCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Applications on real data: fetch, check, train, evaluate and report.",
        subcommands: [AppListCommand.self, AppFetchCommand.self, AppRunCommand.self])
}

struct AppListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The applications and where their data comes from.")

    func run() throws {
        for app in Applications.all {
            print("\(app.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(app.summary)")
            print("\(String(repeating: " ", count: 16))data: \(app.sources.map(\.origin).joined(separator: "; "))")
        }
    }
}

struct AppFetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch and check applications' data (all of them without a name), without running them.")

    @Argument(help: "Applications (cortex app list); all when none is given.")
    var names: [String] = []
    @Option(help: "Where fetched data is kept (default: $CORTEX_DATA, else ~/.cache/cortex/data).")
    var dataDir: String?

    func validate() throws {
        if let unknown = names.first(where: { Applications.named($0) == nil }) {
            throw ValidationError("unknown application '\(unknown)'; one of: \(Applications.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        let log: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let store = DataStore(root: dataDir.map { URL(fileURLWithPath: $0) }, log: log)
        for app in names.isEmpty ? Applications.all : names.compactMap(Applications.named) {
            do { try app.fetchData(into: store) } catch let error as DataError { throw PlainError("\(app.name): \(error)") }
            print("\(app.name): \(app.sources.map(\.origin).joined(separator: "; ")) checked")
        }
    }
}

struct AppRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Fetch an application's data if it is missing, check it, train, evaluate and write its report.")

    @Argument(help: "The application (cortex app list).")
    var name: String
    @Flag(help: "A small subset and few epochs: the whole path in seconds.")
    var quick = false
    @Option(help: "Seed for the splits and the models.")
    var seed: UInt64 = 0
    @Option(help: "Folder for reports; the report goes to DIR/NAME/report.html.")
    var reports = "reports/apps"
    @Option(help: "Where fetched data is kept (default: $CORTEX_DATA, else ~/.cache/cortex/data).")
    var dataDir: String?

    func validate() throws {
        guard Applications.named(name) != nil else {
            throw ValidationError("unknown application '\(name)'; one of: \(Applications.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        let app = Applications.named(name)!
        let log: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let store = DataStore(root: dataDir.map { URL(fileURLWithPath: $0) }, log: log)
        let start = Date()
        let result: ApplicationResult
        do {
            result = try app.run(ApplicationContext(store: store, quick: quick, seed: seed, log: log))
        } catch let error as DataError {
            throw PlainError("\(name): \(error)")
        }
        let seconds = Date().timeIntervalSince(start)
        let folder = URL(fileURLWithPath: reports).appendingPathComponent(name)
        var report = result.report
        report.summary.append(.init("time", String(format: "%.1f s%@", seconds, quick ? " (quick)" : "")))
        try report.write(to: folder.appendingPathComponent("report.html"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let record = AppRecord(application: name, quick: quick, seed: seed, seconds: seconds, figures: result.figures)
        try encoder.encode(record).write(to: folder.appendingPathComponent("result.json"))
        for figure in result.figures {
            let goal = figure.goal.isEmpty ? "" : "  goal \(figure.goal): \(figure.met == true ? "met" : "not met")"
            print("\(figure.dataset) · \(figure.metric): \(figure.text)\(goal)")
        }
        print(String(format: "report: %@ (%.1f s)", folder.appendingPathComponent("report.html").path, seconds))
    }
}

/// What `result.json` holds, for Benchmarks/apps.sh and for a person comparing runs.
struct AppRecord: Codable {
    let application: String
    let quick: Bool
    let seed: UInt64
    let seconds: Double
    let figures: [ApplicationFigure]
}
