// The `cortex` command as a user meets it: bad input ends in one line and a non-zero exit; a
// table trains, cross-validates and predicts end to end.
import Foundation
import Testing

/// The `cortex` executable built next to this test bundle.
private let cortexBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cortex")

private struct Run {
    let status: Int32
    let output: String
    let error: String
}

private func cortex(_ arguments: [String]) throws -> Run {
    let process = Process()
    process.executableURL = cortexBinary
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile(), error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), error: String(decoding: error, as: UTF8.self))
}

/// A small two-class table: the class is whether x + y > 0, plus a categorical column.
private func writeTable(rows: Int, withTarget: Bool = true) throws -> URL {
    var lines = [withTarget ? "x,y,colour,label" : "x,y,colour"]
    for i in 0..<rows {
        let x = Double((i * 37) % 101) / 50 - 1, y = Double((i * 53) % 97) / 48 - 1
        let colour = ["red", "green", "blue"][i % 3]
        lines.append("\(x),\(y),\(colour)" + (withTarget ? "," + (x + y > 0 ? "up" : "down") : ""))
    }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-cli-\(UUID()).csv")
    try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
    return url
}

@Suite("Command line", .enabled(if: FileManager.default.isExecutableFile(atPath: cortexBinary.path)))
struct CommandLineTests {
    @Test(arguments: [
        ["train", "--data", "mnist"],
        ["train", "--csv", "/nonexistent/table.csv", "--target", "y"],
        ["train", "--data", "breast-cancer", "--epochs", "0"],
        ["train", "--data", "breast-cancer", "--model", "conv(8)"],
        ["evaluate", "--run", "/nonexistent/run", "--data", "breast-cancer"],
        ["predict", "--run", "/nonexistent/run", "--input", "/nonexistent/x.csv"],
        ["bench", "gemm", "--sizes", "0"],
    ])
    func badInputEndsInOneLineAndNonZeroExit(arguments: [String]) throws {
        let run = try cortex(arguments)
        #expect(run.status != 0)
        let first = run.error.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("Error: "), "\(run.error)")
    }

    @Test func versionPrints() throws {
        let run = try cortex(["--version"])
        #expect(run.status == 0 && run.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test func aTableTrainsCrossValidatesAndPredicts() throws {
        let table = try writeTable(rows: 200), inputs = try writeTable(rows: 10, withTarget: false)
        let runDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-cli-run-\(UUID())")
        let predictions = runDirectory.appendingPathComponent("predictions.csv")
        defer { [table, inputs, runDirectory].forEach { try? FileManager.default.removeItem(at: $0) } }

        let cv = try cortex(["train", "--csv", table.path, "--target", "label", "--cv", "3", "--epochs", "15", "--lr", "0.01"])
        #expect(cv.status == 0, "\(cv.error)")
        #expect(cv.output.contains("3-fold stratified cross-validation") && cv.output.contains("accuracy"))

        let train = try cortex(["train", "--csv", table.path, "--target", "label", "--epochs", "15", "--lr", "0.01",
                                "--output", runDirectory.path])
        #expect(train.status == 0, "\(train.error)")
        for file in ["model.safetensors", "config.json", "history.csv", "report.html", "checkpoint.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: runDirectory.appendingPathComponent(file).path), "\(file)")
        }
        let accuracy = train.output.split(separator: "\n").first { $0.hasPrefix("test accuracy") }
            .flatMap { Double($0.split(separator: " ")[2]) }
        #expect((accuracy ?? 0) > 0.85, "\(train.output)")

        let predict = try cortex(["predict", "--run", runDirectory.path, "--input", inputs.path, "--output", predictions.path])
        #expect(predict.status == 0, "\(predict.error)")
        let rows = try String(contentsOf: predictions, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "index,prediction,p_down,p_up" && rows.count == 11)
    }
}
