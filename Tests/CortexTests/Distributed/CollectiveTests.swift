// MPI collectives on tensors: `cortex bench allreduce` under mpirun checks all-reduce (sum, average, max),
// broadcast and all-gather against values every rank can predict, on 2 ranks and on 4 (more ranks than cores);
// without mpirun the process is alone and says so.
import Foundation
import Testing
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

    @Test func aProcessNotStartedByMPIIsAlone() throws {
        #expect(!ProcessGroup.launchedByMPI)
        #expect(try ProcessGroup.world() == nil)
        let alone = try cortex(["bench", "allreduce"])
        #expect(alone.status == 0 && alone.output.contains("one process (not started by mpirun)"))
    }
}
