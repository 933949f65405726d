// MPI collectives on tensors: `cortex bench allreduce` under mpirun checks all-reduce (sum, average, max),
// broadcast and all-gather against values every rank can predict, on 2 ranks and on 4 (more ranks than cores);
// without mpirun the process is alone and says so. And data-parallel training: N ranks at batch B end at one
// process's weights at batch N × B.
import Foundation
import Testing
@testable import Cortex
@testable import CortexDistributed

/// mpirun, where Debian's openmpi-bin puts it.
private let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("MPI collectives", .enabled(if: mpirun != nil && FileManager.default.isExecutableFile(atPath: cortexBinary.path), "needs openmpi-bin"))
struct CollectiveTests {
    /// `mpirun -np ranks cortex arguments…`, oversubscribed (CI machines have 2 cores) and allowed as root (CI runs as root).
    static func launch(_ ranks: Int, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun!)
        process.arguments = ["-np", "\(ranks)", "--oversubscribe"] + (geteuid() == 0 ? ["--allow-run-as-root"] : []) + [cortexBinary.path] + arguments
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile(), error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    @Test(arguments: [2, 4])
    func collectivesGiveWhatEveryRankPredicts(ranks: Int) throws {
        let run = try Self.launch(ranks, ["bench", "allreduce", "--sizes", "1", "4096", "--repeats", "2"])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("check: allReduce (sum, average, max), broadcast and allGather correct on \(ranks) ranks"), "\(run.output)")
        // Only rank 0 prints the timing table: one header and one row per size.
        #expect(run.output.components(separatedBy: "values      bytes").count == 2)
        #expect(run.output.split(separator: "\n").contains { $0.hasPrefix("4096 ") })
    }

    @Test func dataParallelTrainingOfTheMLPEqualsOneProcessAtTheGlobalBatch() throws {
        // Two epochs of the MLP on the bundled subset: one process at batch 64, then 2 ranks at 32 and 4 at 16.
        func train(_ ranks: Int) throws -> (weights: [String: Tensor], losses: [String]) {
            let run = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-ddp-\(ranks)-\(UUID())")
            defer { try? FileManager.default.removeItem(at: run) }
            let arguments = ["train", "--data", "fashion-mnist-subset", "--model", "mlp", "--hidden", "64", "--epochs", "2",
                             "--batch-size", "\(64 / ranks)", "--output", run.path]
            let result = ranks == 1 ? try cortex(arguments).asTuple : try Self.launch(ranks, arguments)
            #expect(result.status == 0, "\(result.error)")
            if ranks > 1 { #expect(result.output.contains("data-parallel: \(ranks) processes")) }
            let history = try String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8)
            return (try loadSafetensors(run.appendingPathComponent("model.safetensors")),
                    history.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) })
        }
        let alone = try train(1)
        #expect(alone.losses.count == 2)
        for ranks in [2, 4] {
            let together = try train(ranks)
            #expect(Set(together.weights.keys) == Set(alone.weights.keys))
            let worst = alone.weights.map { name, w in zip(w.scalars, together.weights[name]!.scalars).map { abs($0 - $1) }.max() ?? 0 }.max()!
            #expect(worst <= 1e-5, "\(ranks) ranks: weights differ by up to \(worst)")
            let losses = zip(alone.losses, together.losses).map { abs(Double($0)! - Double($1)!) }
            #expect(losses.allSatisfy { $0 < 1e-6 }, "\(ranks) ranks: loss curves \(alone.losses) against \(together.losses)")
        }
    }

    @Test func aProcessNotStartedByMPIIsAlone() throws {
        #expect(!ProcessGroup.launchedByMPI)
        #expect(try ProcessGroup.world() == nil)
        let alone = try cortex(["bench", "allreduce"])
        #expect(alone.status == 0 && alone.output.contains("one process (not started by mpirun)"))
    }
}
