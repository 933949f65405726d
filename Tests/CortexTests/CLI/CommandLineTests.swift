// The `cortex` command as a user meets it: bad input ends in one line and a non-zero exit; a
// table trains, cross-validates and predicts end to end.
import Foundation
import Testing
import Cortex

/// The `cortex` executable built next to this test bundle.
let cortexBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cortex")

struct CortexRun {
    let status: Int32
    let output: String
    let error: String
    var asTuple: (status: Int32, output: String, error: String) { (status, output, error) }
}

func cortex(_ arguments: [String], environment: [String: String] = [:]) throws -> CortexRun {
    let process = Process()
    process.executableURL = cortexBinary
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile(), error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CortexRun(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), error: String(decoding: error, as: UTF8.self))
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

/// A path for a run directory under the temporary directory, not yet created.
private func scratch(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("cortex-cli-\(name)-\(UUID())").path
}

/// A text file under the temporary directory.
private func writeText(_ text: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-cli-\(UUID()).csv")
    try text.write(to: url, atomically: true, encoding: .utf8)
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
        ["train", "--data", "breast-cancer", "--epochs", "-1"],
        ["train", "--data", "breast-cancer", "--lr", "-1"],
        ["train", "--data", "breast-cancer", "--cv", "1000"],
        ["train", "--data", "breast-cancer", "--model", "linear(4000000000000)"],
        ["train", "--data", "breast-cancer", "--resume", "--overwrite"],
        ["train", "--csv", "/tmp", "--target", "y"],
        ["predict", "--run", "/tmp", "--input", "/tmp"],
        ["train", "--data", "breast-cancer", "--missing", "sometimes"],
        ["train", "--data", "breast-cancer", "--optimizer", "adamx"],
        ["train", "--data", "breast-cancer", "--schedule", "linear"],
    ])
    func badInputEndsInOneLineAndNonZeroExit(arguments: [String]) throws {
        let run = try cortex(arguments)
        #expect(run.status != 0)
        let first = run.error.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("Error: "), "\(run.error)")
    }

    /// Numbers that look like flags reach validation and its message, and bad sizes
    /// are explained with what they would need.
    @Test func messagesSayWhatWasWrongInPlainWords() throws {
        let epochs = try cortex(["train", "--data", "breast-cancer", "--epochs", "-1"])
        #expect(epochs.error.contains("--epochs must be between 1 and 10000, not -1"), "\(epochs.error)")
        let lr = try cortex(["train", "--data", "breast-cancer", "--lr", "-1"])
        #expect(lr.error.contains("--lr must be a positive number"), "\(lr.error)")
        let spec = try cortex(["train", "--data", "breast-cancer", "--model", "linear(4000000000000)", "--output", scratch("big")])
        #expect(spec.error.contains("needs 124000000000000 parameters (496.0 TB as float32); the limit is"), "\(spec.error)")
        let directory = try cortex(["train", "--csv", FileManager.default.temporaryDirectory.path, "--target", "y"])
        #expect(directory.error.contains("is a directory; give a file"), "\(directory.error)")
        let blocked = try writeTable(rows: 10)   // a file where a directory is needed
        defer { try? FileManager.default.removeItem(at: blocked) }
        let unwritable = try cortex(["train", "--csv", blocked.path, "--target", "label", "--output", blocked.path + "/run"])
        #expect(unwritable.status != 0 && unwritable.error.contains("choose an --output where you can write"), "\(unwritable.error)")
        #expect(!unwritable.error.contains("NSCocoaErrorDomain"))
        let predictions = try cortex(["predict", "--run", scratch("none"), "--input", blocked.path, "--output", blocked.path + "/p.csv"])
        #expect(predictions.status != 0 && !predictions.error.contains("NSCocoaErrorDomain"))
    }

    /// A table of only the target, more folds than rows or than the smallest class, and a
    /// config.json with a negative input shape end in a message, not a trap.
    @Test func hostileTablesAndConfigsEndInAMessage() throws {
        let onlyTarget = try writeText("label\na\nb\na\n")
        let tiny = try writeText("x,label\n1,a\n2,b\n3,a\n4,b\n5,a\n")
        defer { [onlyTarget, tiny].forEach { try? FileManager.default.removeItem(at: $0) } }
        let only = try cortex(["train", "--csv", onlyTarget.path, "--target", "label", "--output", scratch("only")])
        #expect(only.status == 1 && only.error.contains("no feature columns are left besides the target"), "\(only.error)")
        let folds = try cortex(["train", "--csv", tiny.path, "--target", "label", "--cv", "10"])
        #expect(folds.status == 1 && folds.error.contains("more folds than the 5 examples"), "\(folds.error)")
        let classes = try cortex(["train", "--csv", tiny.path, "--target", "label", "--cv", "3"])
        #expect(classes.status == 1 && classes.error.contains("class 'b' has only 2 example(s)"), "\(classes.error)")

        let run = scratch("config")
        defer { try? FileManager.default.removeItem(atPath: run) }
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let config = #"{"model":"mlp","hidden":[4],"inputShape":[-3],"outputs":2,"isClassification":true,"classNames":[],"featureNames":[],"seed":0}"#
        try config.write(toFile: run + "/config.json", atomically: true, encoding: .utf8)
        let negative = try cortex(["evaluate", "--run", run, "--csv", tiny.path])
        #expect(negative.status == 1 && negative.error.contains("inputShape [-3] must be 1 to 3 positive sizes"), "\(negative.error)")
    }

    /// Evaluate and predict read a table the way training did; unseen labels
    /// are an error; a numeric target with many distinct whole numbers is a regression.
    @Test func evaluateAndPredictReadTablesAsTrainingDid() throws {
        let table = try writeTable(rows: 200)
        let run = scratch("schema")
        defer { [table.path, run].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let train = try cortex(["train", "--csv", table.path, "--target", "label", "--epochs", "3", "--output", run])
        #expect(train.status == 0, "\(train.error)")
        // The training table itself, target column included, in both commands; no --target needed.
        let evaluate = try cortex(["evaluate", "--run", run, "--csv", table.path])
        #expect(evaluate.status == 0 && evaluate.output.contains("accuracy"), "\(evaluate.error)")
        let predict = try cortex(["predict", "--run", run, "--input", table.path])
        #expect(predict.status == 0 && predict.output.split(separator: "\n").count == 201, "\(predict.error)")
        // Columns reordered and a label the model never saw.
        let unseen = try writeText("label,colour,y,x\nup,red,0.5,0.5\nsideways,blue,0.1,0.2\n")
        defer { try? FileManager.default.removeItem(at: unseen) }
        let bad = try cortex(["evaluate", "--run", run, "--csv", unseen.path])
        #expect(bad.status == 1 && bad.error.contains("'sideways' at row 2 (line 3)"), "\(bad.error)")
        let reordered = try cortex(["predict", "--run", run, "--input", unseen.path])
        #expect(reordered.status == 0 && reordered.output.split(separator: "\n").count == 3, "\(reordered.error)")

        var lines = ["hours,score"]
        for i in 0..<300 { lines.append("\(Double(i % 100) / 10),\(40 + (i * 7) % 61)") }
        let scores = try writeText(lines.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(at: scores) }
        let regression = try cortex(["train", "--csv", scores.path, "--target", "score", "--epochs", "2", "--output", scratch("scores")])
        #expect(regression.status == 0 && regression.output.contains("task: regression — target 'score' holds 61 distinct whole numbers"),
                "\(regression.output) \(regression.error)")
        #expect(regression.output.contains("r2 "))
    }

    /// An identifier column is left out rather than one-hot encoded into n×n
    /// floats, and nan/inf cells are missing values, not categories.
    @Test func identifierColumnsAndNonFiniteCellsAreHandledAsStated() throws {
        var lines = ["id,x,label"]
        for i in 0..<80_000 { lines.append("user\(i),\(Double(i % 7) / 7),\(i % 7 < 3 ? "a" : "b")") }
        let ids = try writeText(lines.joined(separator: "\n"))
        let cells = try writeText("x,y,label\n1,2,a\nnan,3,b\n4,inf,a\n5,-inf,b\n6,7,a\n8,9,b\n1,1,a\n2,2,b\n")
        defer { [ids, cells].forEach { try? FileManager.default.removeItem(at: $0) } }
        let wide = try cortex(["train", "--csv", ids.path, "--target", "label", "--epochs", "1", "--cv", "2"])
        #expect(wide.status == 0, "\(wide.error)")
        #expect(wide.output.contains("column 1 'id' left out: 80000 distinct values in 80000 rows"), "\(wide.output)")
        let refused = try cortex(["train", "--csv", cells.path, "--target", "label", "--output", scratch("cells")])
        #expect(refused.status == 1 && refused.error.contains("3 missing value(s) (nan and inf count as missing"), "\(refused.error)")
        #expect(refused.error.contains("row 2 (line 3), column 1 'x'") && refused.error.contains("--missing drop"))
        let dropped = try cortex(["train", "--csv", cells.path, "--target", "label", "--missing", "drop", "--epochs", "1",
                                  "--cv", "2"])
        #expect(dropped.status == 0 && dropped.output.contains("5 rows, 2 features"), "\(dropped.output) \(dropped.error)")
    }

    /// A run directory always holds one consistent run.
    @Test func aRunDirectoryAlwaysHoldsOneConsistentRun() throws {
        let table = try writeTable(rows: 200)
        let run = scratch("consistent")
        let staging = URL(fileURLWithPath: run).deletingLastPathComponent().appendingPathComponent(".\(URL(fileURLWithPath: run).lastPathComponent).partial").path
        defer { [table.path, run, staging].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let first = try cortex(["train", "--csv", table.path, "--target", "label", "--epochs", "3", "--output", run])
        #expect(first.status == 0, "\(first.error)")
        let history = try String(contentsOfFile: run + "/history.csv", encoding: .utf8)
        let model = try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors"))

        // Reusing it needs a decision.
        let again = try cortex(["train", "--csv", table.path, "--target", "label", "--output", run])
        #expect(again.status == 1 && again.error.contains("already holds a run") && again.error.contains("--resume"), "\(again.error)")
        // A replacement that fails (the loss overflows to NaN) leaves the old run whole.
        let failed = try cortex(["train", "--csv", table.path, "--target", "label", "--model", "cnn", "--output", run, "--overwrite"])
        #expect(failed.status == 1, "\(failed.output)")
        let diverged = try cortex(["train", "--csv", table.path, "--target", "label", "--lr", "1e30", "--optimizer", "sgd",
                                   "--epochs", "3", "--output", run, "--overwrite"])
        #expect(diverged.status == 1 && diverged.error.contains("is unchanged"), "\(diverged.error)")
        #expect(try String(contentsOfFile: run + "/history.csv", encoding: .utf8) == history)
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors")) == model)
        #expect(try String(contentsOfFile: run + "/config.json", encoding: .utf8).contains("\"model\" : \"mlp\""))

        // A run that fails before training (its data cannot be read) leaves no staging directory.
        let unread = try cortex(["train", "--csv", table.path + ".missing", "--target", "label", "--output", run, "--overwrite"])
        #expect(unread.status == 1 && !FileManager.default.fileExists(atPath: staging), "\(unread.error)")

        // A directory of other files is never taken for a run, even with --overwrite.
        let foreign = scratch("foreign")
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: foreign + "/thesis.tex", contents: Data("keep me".utf8))
        defer { try? FileManager.default.removeItem(atPath: foreign) }
        let refused = try cortex(["train", "--csv", table.path, "--target", "label", "--output", foreign, "--overwrite"])
        #expect(refused.status == 1 && refused.error.contains("holds files that are not a Cortex run (thesis.tex)"), "\(refused.error)")
        let demo = try cortex(["demo", "--epochs", "1", "--output", foreign])
        #expect(demo.status == 1 && FileManager.default.fileExists(atPath: foreign + "/thesis.tex"))

        // A temporary file left by a killed atomic write is cleaned; --resume continues to a larger total.
        let orphan = run + "/.checkpoint.safetensors.DEAD.tmp"
        _ = FileManager.default.createFile(atPath: orphan, contents: Data([1, 2, 3]))
        try? FileManager.default.removeItem(atPath: staging)
        let resumed = try cortex(["train", "--output", run, "--resume", "--epochs", "5"])
        #expect(resumed.status == 0 && resumed.output.contains("resumed after epoch 3 of 5"), "\(resumed.error)")
        #expect(!FileManager.default.fileExists(atPath: orphan) && !FileManager.default.fileExists(atPath: staging))
        #expect(try String(contentsOfFile: run + "/history.csv", encoding: .utf8).split(separator: "\n").count == 6)
        let conflicting = try cortex(["train", "--output", run, "--resume", "--lr", "0.5"])
        #expect(conflicting.status == 1 && conflicting.error.contains("--lr 0.5"), "\(conflicting.error)")
    }

    /// A run that outgrows the simulated device's memory (CORTEX_SIM_MEMORY_MB) stops with a message that says so and
    /// suggests a smaller batch, and keeps the last epoch's checkpoint, which a run with enough memory resumes.
    @Test func outOfDeviceMemoryStopsWithAMessageAndKeepsTheCheckpoint() throws {
        let run = scratch("oom")
        defer { try? FileManager.default.removeItem(atPath: run) }
        let sim = ["CORTEX_DEVICE": "sim"]
        let first = try cortex(["train", "--data", "fashion-mnist-subset", "--limit", "300", "--epochs", "1", "--output", run], environment: sim)
        #expect(first.status == 0, "\(first.error)")
        let starved = try cortex(["train", "--resume", "--epochs", "2", "--output", run],
                                 environment: sim.merging(["CORTEX_SIM_MEMORY_MB": "1"]) { $1 })
        #expect(starved.status != 0)
        for part in ["out of memory on simulated", "try a smaller batch size", "--resume continues it"] {
            #expect(starved.error.contains(part), "\(starved.error)")
        }
        let resumed = try cortex(["train", "--resume", "--epochs", "2", "--output", run], environment: sim)
        #expect(resumed.status == 0 && resumed.output.contains("resumed after epoch 1"), "\(resumed.output) \(resumed.error)")
    }

    /// The demo leaves a complete run directory that evaluate and predict accept.
    @Test func theDemoWritesARunThatEvaluateAndPredictUse() throws {
        let run = scratch("demo")
        defer { try? FileManager.default.removeItem(atPath: run) }
        let demo = try cortex(["demo", "--epochs", "1", "--output", run])
        #expect(demo.status == 0, "\(demo.error)")
        for file in ["config.json", "model.safetensors", "history.csv", "report.html", "checkpoint.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: run + "/" + file), "\(file)")
        }
        let evaluate = try cortex(["evaluate", "--run", run, "--data", "fashion-mnist-subset"])
        #expect(evaluate.status == 0 && evaluate.output.contains("1000 examples"), "\(evaluate.error)")
        let images = Fixtures.fashionSubset.appendingPathComponent("test-images-idx3-ubyte.gz").path
        let predict = try cortex(["predict", "--run", run, "--input", images])
        #expect(predict.status == 0 && predict.output.split(separator: "\n").count == 1001, "\(predict.error)")
        #expect(predict.output.hasPrefix("index,prediction,p_T-shirt/top,p_Trouser"))
        let inspect = try cortex(["inspect", "--run", run])
        #expect(inspect.status == 0 && inspect.output.contains("total: 10 ops, 50378 parameters, 7927818 FLOPs"), "\(inspect.output)")

        // The report diagnoses the run and shows what the model learned; the verdicts are printed and saved.
        #expect(demo.output.contains("diagnosis: ") || demo.output.contains("warning: "), "\(demo.output)")
        let report = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        for heading in ["<h2>Diagnosis</h2>", "<h2>What the model learned</h2>", "<h2>Gradients and activations</h2>", "<h2>Data checks</h2>",
                        "First-layer filters", "Feature maps, block 2", "Why the model predicted what it did", "t-SNE of"] {
            #expect(report.contains(heading), "report lacks \(heading)")
        }
        let record = try JSONDecoder().decode(DiagnosticsRecord.self, from: Data(contentsOf: URL(fileURLWithPath: run + "/diagnostics.json")))
        #expect(record.layers == ["features.0.weight", "features.4.weight", "classifier.2.weight"] && !record.gradients.isEmpty && !record.verdicts.isEmpty)

        // cortex explain: a page of maps and checks for the first inputs, by the methods asked for.
        let page = run + "/why.html"
        let explain = try cortex(["explain", "--run", run, "--input", images, "--count", "2", "--method", "saliency,grad-cam",
                                  "--class", "trouser", "--output", page])
        #expect(explain.status == 0, "\(explain.error)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("Attribution maps") && html.contains("IG completeness error") && html.contains("Rows explain: Trouser, Trouser"))
        let unknown = try cortex(["explain", "--run", run, "--input", images, "--method", "lime"])
        #expect(unknown.status != 0 && unknown.error.contains("unknown method 'lime'"), "\(unknown.error)")
        let badClass = try cortex(["explain", "--run", run, "--input", images, "--class", "hat"])
        #expect(badClass.status != 0 && badClass.error.contains("--class hat"), "\(badClass.error)")
        #expect(inspect.output.contains("conv2d(input.0, features.0.weight, features.0.bias; dilation=[1, 1], groups=1, padding=[1, 1]"))
    }

    @Test func predictionsQuoteClassNamesThatHoldLineBreaks() throws {
        // A class name read from a quoted CSV cell may hold CR or LF; written bare, it would split a row in two.
        var lines = ["x,y,label"]
        for i in 0..<60 { lines.append("\(Double(i % 10) / 10),\(Double(i % 7) / 7),\(i % 2 == 0 ? "\"up\r\nright\"" : "down")") }
        let table = try writeText(lines.joined(separator: "\n"))
        let run = scratch("line-breaks")
        defer { [table.path, run].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let train = try cortex(["train", "--csv", table.path, "--target", "label", "--epochs", "1", "--output", run])
        #expect(train.status == 0, "\(train.error)")
        let predict = try cortex(["predict", "--run", run, "--input", table.path])
        #expect(predict.status == 0, "\(predict.error)")
        #expect(predict.output.hasPrefix("index,prediction,p_down,\"p_up\r\nright\"\n"), "\(predict.output.prefix(80))")
        let records = try CSVTable.parse(Data(predict.output.utf8))
        #expect(records.rowCount == 60 && records.columnNames == ["index", "prediction", "p_down", "p_up\r\nright"])
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

        // The report ranks the features by permutation importance; explain attributes each row's prediction.
        let report = try String(contentsOf: runDirectory.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(report.contains("Permutation importance (top ") && report.contains("<h2>Data checks</h2>"))
        let explain = try cortex(["explain", "--run", runDirectory.path, "--input", inputs.path, "--count", "3"])
        #expect(explain.status == 0, "\(explain.error)")
        let page = try String(contentsOf: runDirectory.appendingPathComponent("explain.html"), encoding: .utf8)
        #expect(page.contains("Row 0: predicted") && page.contains("Row 2: predicted") && !page.contains("Row 3:"))
    }

    @Test(.enabled(if: Fixtures.miniLMAvailable, "needs scripts/fetch-minilm"))
    func explainShowsMiniLMAttentionForASentence() throws {
        let page = scratch("attention") + ".html"
        defer { try? FileManager.default.removeItem(atPath: page) }
        let run = try cortex(["explain", "--text", "The bank raised rates.", "--output", page])
        #expect(run.status == 0 && run.output.contains("7 tokens in 6 layers × 12 heads"), "\(run.output) \(run.error)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("[CLS] · the · bank · raised · rates · . · [SEP]") && html.contains("Layer 6, heads 1–12"))
        let mixed = try cortex(["explain", "--text", "x", "--run", "somewhere", "--input", "file"])
        #expect(mixed.status != 0 && mixed.error.contains("without --run and --input"), "\(mixed.error)")
        let neither = try cortex(["explain"])
        #expect(neither.status != 0 && neither.error.contains("or --text"), "\(neither.error)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/games/fortunes/fortunes"), "needs Debian's fortunes"))
    func aLanguageModelTrainsOnFortunesAndGenerates() throws {
        let run = scratch("lm")
        defer { try? FileManager.default.removeItem(atPath: run) }
        let train = try cortex(["train", "--data", "fortunes", "--model", "lstm", "--epochs", "1", "--limit", "120", "--output", run])
        #expect(train.status == 0, "\(train.error)")
        #expect(train.output.contains("bits per character"), "\(train.output)")
        for file in ["language-model.json", "model.safetensors", "history.csv", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: run + "/" + file), "\(file)")
        }
        let report = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(report.contains("Generated text"))
        let generated = try cortex(["generate", "--run", run, "--prompt", "Q: ", "--max-tokens", "25", "--seed", "3"])
        #expect(generated.status == 0 && generated.output.hasPrefix("Q: ") && generated.output.unicodeScalars.count >= 28,
                "\(generated.output) \(generated.error)")
        let again = try cortex(["generate", "--run", run, "--prompt", "Q: ", "--max-tokens", "25", "--seed", "3"])
        #expect(again.output == generated.output)
        let wrong = try cortex(["train", "--data", "fortunes", "--model", "cnn", "--output", scratch("lm-bad")])
        #expect(wrong.status != 0 && wrong.error.contains("lstm or gpt"), "\(wrong.error)")
        let notLM = try cortex(["generate", "--run", "reports/none-such"])
        #expect(notLM.status != 0 && notLM.error.contains("holds no language model"), "\(notLM.error)")
    }

    @Test(.enabled(if: Fixtures.miniLMAvailable && Fixtures.bbcNewsAvailable, "needs scripts/fetch-minilm and scripts/fetch-bbcnews"))
    func aTopicClassifierTrainsOnBBCNews() throws {
        let run = scratch("bbc")
        defer { try? FileManager.default.removeItem(atPath: run) }
        let train = try cortex(["train", "--data", "bbc-news", "--model", "lstm", "--epochs", "1", "--limit", "200", "--output", run])
        #expect(train.status == 0, "\(train.error)")
        #expect(train.output.contains("test accuracy") && train.output.contains("2225 articles in 5 topics"), "\(train.output)")
        let report = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(report.contains("published references") && report.contains("business"))
        let wrong = try cortex(["train", "--data", "bbc-news", "--model", "gpt", "--output", scratch("bbc-bad")])
        #expect(wrong.status != 0 && wrong.error.contains("minilm or lstm"), "\(wrong.error)")
    }

    @Test(.enabled(if: Fixtures.miniLMAvailable, "needs scripts/fetch-minilm"))
    func embedAndSimilarUseThePretrainedEncoder() throws {
        let model = Fixtures.miniLMModel.path
        let embed = try cortex(["embed", "--model", model, "Deep learning models learn from examples."])
        #expect(embed.status == 0, "\(embed.error)")
        let values = embed.output.split(separator: ",").prefix(3).compactMap { Double($0) }
        #expect(values.count == 3 && zip(values, [-0.064807, -0.096195, 0.074149]).allSatisfy { abs($0 - $1) < 2e-6 }, "\(values)")
        #expect(embed.output.split(separator: ",").count == 384)
        let candidates = try writeText("The cat sleeps on the sofa.\nConvolutional networks classify images.\nStock prices fell today.\n")
        let similar = try cortex(["similar", "--model", model, "--query", "neural networks for pictures", "--file", candidates.path, "--top", "1"])
        #expect(similar.status == 0, "\(similar.error)")
        #expect(similar.output.hasSuffix("Convolutional networks classify images.\n"), "\(similar.output)")
        let missing = try cortex(["embed", "--model", "/nonexistent-model", "x"])
        #expect(missing.status != 0 && missing.error.contains("scripts/fetch-minilm"), "\(missing.error)")
    }
}
