// MPI collectives on tensors: `cortex bench allreduce` under mpirun checks all-reduce (sum, average, max),
// broadcast and all-gather against values every rank can predict, on 2 ranks and on 4 (more ranks than cores);
// without mpirun the process is alone and says so. And data-parallel training: N ranks at batch B end at one
// process's weights at batch N × B.
import Foundation
import Testing
import Cortex
@testable import CortexDistributed

/// mpirun, where Debian's openmpi-bin puts it.
private let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

// Serialized: the jobs would otherwise fight over the two cores, and the kill test picks its victim among running ranks.
@Suite("MPI collectives", .serialized, .enabled(if: mpirun != nil && FileManager.default.isExecutableFile(atPath: cortexBinary.path), "needs openmpi-bin"))
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

    /// A finished `cortex train` run on the bundled subset: its weights, and each epoch's training loss, validation
    /// loss and validation accuracy (validation is split over ranks too).
    struct FinishedRun {
        let weights: [String: Tensor]
        let curve: [[Double]]

        /// The largest difference between the two runs' weights (float tensors; the step counters are equal).
        func weightDifference(from other: FinishedRun) -> Float {
            weights.filter { $0.value.dtype == .float32 }.map { name, w in
                zip(w.scalars, other.weights[name]!.scalars).map { abs($0 - $1) }.max() ?? 0
            }.max()!
        }
    }

    /// `cortex train arguments…` at a global batch of `globalBatch`: alone, or under mpirun on `ranks` ranks at
    /// globalBatch / ranks each. The curve is each epoch's training loss, validation loss and validation metric.
    static func train(_ ranks: Int, globalBatch: Int, _ arguments: [String]) throws -> FinishedRun {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-ddp-\(ranks)-\(UUID())")
        defer { try? FileManager.default.removeItem(at: run) }
        let arguments = ["train"] + arguments + ["--batch-size", "\(globalBatch / ranks)", "--output", run.path]
        let result = ranks == 1 ? try cortex(arguments).asTuple : try launch(ranks, arguments)
        #expect(result.status == 0, "\(result.error)")
        if ranks > 1 { #expect(result.output.contains("data-parallel: \(ranks) processes")) }
        let history = try String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8)
        return FinishedRun(weights: try loadSafetensors(run.appendingPathComponent("model.safetensors")),
                           curve: history.split(separator: "\n").dropFirst().map { line in [1, 3, 4].map { Double(line.split(separator: ",")[$0])! } })
    }

    /// Two epochs on the bundled Fashion-MNIST subset at a global batch of 64.
    static func trainTwoEpochs(_ ranks: Int, _ options: [String]) throws -> FinishedRun {
        try train(ranks, globalBatch: 64, ["--data", "fashion-mnist-subset", "--epochs", "2"] + options)
    }

    @Test func dataParallelTrainingOfTheMLPEqualsOneProcessAtTheGlobalBatch() throws {
        // Two epochs of the MLP: one process at batch 64, then 2 ranks at 32 and 4 at 16, gradients in 16 KiB buckets.
        let options = ["--model", "mlp", "--hidden", "64", "--bucket-kb", "16"]
        let alone = try Self.trainTwoEpochs(1, options)
        #expect(alone.curve.count == 2)
        for ranks in [2, 4] {
            let together = try Self.trainTwoEpochs(ranks, options)
            #expect(Set(together.weights.keys) == Set(alone.weights.keys))
            let worst = together.weightDifference(from: alone)
            #expect(worst <= 1e-5, "\(ranks) ranks: weights differ by up to \(worst)")
            let losses = zip(alone.curve.joined(), together.curve.joined()).map { abs($0 - $1) }
            #expect(losses.allSatisfy { $0 < 1e-6 }, "\(ranks) ranks: loss curves \(alone.curve) against \(together.curve)")
        }
    }

    @Test func dataParallelTrainingOfACNNEqualsOneProcessAtTheGlobalBatch() throws {
        // Convolutions, pooling and dropout (masks drawn for the global batch), without batch norm, on the first 640
        // examples: two epochs of about 8 steps at a global batch of 64. What is compared is the arithmetic of data
        // parallelism, kept clear of what would make the outcome depend on the machine's rounding:
        // - Average pooling: max pooling routes each gradient to its window's largest input, and two inputs equal
        //   to the last bit swap under another summation order.
        // - Few steps: each step's averaged gradients equal one process's within 5e-6 of their scale
        //   (DataParallelStepTests), but a long run carries those differences through ReLU's kinks until one flips
        //   and the runs part. Over 64 steps they parted by 1.6e-6 on one Intel Xeon's AVX-512 kernels and by 1.6e-4
        //   with CORTEX_ISA=baseline; over 16 and 32 steps, by at most 6e-8 on both.
        // - Plain SGD at 0.01: its step is proportional to the gradient, so gradients summed over ranks instead of
        //   averaged move every weight (Adam would divide the mistake away). Summed, the weights moved 0.063 (2 ranks)
        //   and 0.13 (4 ranks) from one process's.
        // The bound: summed over 2 ranks, each step moves the weights by twice one process's step, so 0.063 is how far
        // these 16 steps move a weight. Gradients off by 5e-6 of their scale put the weights off by at most 5e-6 of
        // that, 3e-7, and rounding each of 16 updates to float32 adds at most 16 half-ulps of a weight under 0.5
        // (16 × 3e-8, 5e-7). 1e-5 is ten times their sum, and 6,000 times under the summed-gradient mistake.
        let options = ["--model", "conv(16,3,padding=1), relu, avgpool(2), conv(32,3,padding=1), relu, avgpool(2), flatten, dropout(0.25), linear(10)",
                       "--optimizer", "sgd", "--lr", "0.01", "--limit", "640"]
        let alone = try Self.trainTwoEpochs(1, options)
        for ranks in [2, 4] {
            let together = try Self.trainTwoEpochs(ranks, options)
            let worst = together.weightDifference(from: alone)
            #expect(worst <= 1e-5, "\(ranks) ranks: weights differ by up to \(worst)")
            let losses = zip(alone.curve.joined(), together.curve.joined()).map { abs($0 - $1) }
            #expect(losses.allSatisfy { $0 < 1e-5 }, "\(ranks) ranks: loss curves \(alone.curve) against \(together.curve)")
        }
    }

    @Test func dataParallelLanguageModelTrainingEqualsOneProcess() throws {
        // The character LSTM on 200 fortunes for one epoch: alone at 16 windows a batch, then 2 ranks at 8.
        let arguments = ["--data", "fortunes", "--model", "lstm", "--limit", "200", "--epochs", "1"]
        let alone = try Self.train(1, globalBatch: 16, arguments), together = try Self.train(2, globalBatch: 16, arguments)
        let worst = together.weightDifference(from: alone)
        #expect(worst <= 1e-5, "weights differ by up to \(worst)")
        #expect(zip(alone.curve.joined(), together.curve.joined()).allSatisfy { abs($0 - $1) < 1e-6 }, "\(alone.curve) against \(together.curve)")
    }

    @Test func theDemoCNNWithSyncBatchNormFollowsOneProcess() throws {
        // The demo CNN (batch norm, max pooling, dropout). Each step equals one process's (DataParallelStepTests); over
        // two epochs float32's rounding compounds through the batch norms as it does for one process run on one
        // thread instead of two, so the curves are compared, not the last bit of the weights.
        let alone = try Self.trainTwoEpochs(1, ["--model", "cnn"])
        func relative(_ a: [[Double]], _ b: [[Double]], _ column: Int, epoch: Int) -> Double { abs(a[epoch][column] / b[epoch][column] - 1) }
        for ranks in [2, 4] {
            let together = try Self.trainTwoEpochs(ranks, ["--model", "cnn", "--sync-batch-norm"])
            print("demo CNN with SyncBatchNorm, \(ranks) ranks: weights within \(together.weightDifference(from: alone)) of one process; "
                  + "curves \(together.curve) against \(alone.curve)")
            #expect(relative(together.curve, alone.curve, 0, epoch: 0) < 1e-4, "\(ranks) ranks: \(together.curve) against \(alone.curve)")
            for epoch in 0..<2 {
                #expect(relative(together.curve, alone.curve, 0, epoch: epoch) < 2e-3 && relative(together.curve, alone.curve, 1, epoch: epoch) < 1e-2,
                        "\(ranks) ranks: \(together.curve) against \(alone.curve)")
                #expect(abs(together.curve[epoch][2] - alone.curve[epoch][2]) <= 0.01)
            }
        }
        // The check can fail: with each rank's own batch statistics the first epoch's loss is already another.
        let local = try Self.trainTwoEpochs(2, ["--model", "cnn"])
        #expect(relative(local.curve, alone.curve, 0, epoch: 0) > 1e-4, "\(local.curve) against \(alone.curve)")
    }

    @Test func aKilledRankEndsTheJobAndTheRunResumesToTheSameWeights() throws {
        // Two epochs on 2 ranks, uninterrupted; then the same run with rank 1 killed (SIGKILL) once the first
        // checkpoint is written, and resumed under mpirun: the job ends promptly naming the rank, and the resumed run
        // ends at the uninterrupted run's weights. (1,024 hidden units at batch 8 make an epoch last seconds.)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-ddp-kill-\(UUID())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (whole, killed) = (scratch.appendingPathComponent("whole"), scratch.appendingPathComponent("killed"))
        let arguments = ["train", "--data", "fashion-mnist-subset", "--model", "mlp", "--hidden", "1024", "--epochs", "2", "--batch-size", "8"]
        let reference = try Self.launch(2, arguments + ["--output", whole.path])
        #expect(reference.status == 0, "\(reference.error)")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun!)
        process.arguments = ["-np", "2", "--oversubscribe"] + (geteuid() == 0 ? ["--allow-run-as-root"] : []) + [cortexBinary.path]
            + arguments + ["--output", killed.path]
        let err = Pipe()
        (process.standardOutput, process.standardError) = (FileHandle.nullDevice, err)
        try process.run()
        let checkpoint = scratch.appendingPathComponent(".killed.partial/checkpoint.safetensors")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint.path) && Date() < deadline && process.isRunning { usleep(20_000) }
        // Rank 1 is the cortex process whose environment says so.
        let victim = try #require(Self.rankProcess(1, below: process.processIdentifier), "no rank 1 process found")
        kill(victim, SIGKILL)
        let killedAt = Date()
        let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(killedAt)
        #expect(process.terminationStatus != 0 && seconds < 30, "the job ended \(seconds) s after the kill, status \(process.terminationStatus)")
        #expect(error.contains("process rank 1") && error.contains("signal 9"), "\(error)")
        print("killed rank 1: the job ended \(String(format: "%.1f", seconds)) s later")

        let resumed = try Self.launch(2, ["train", "--output", killed.path, "--resume"])
        #expect(resumed.status == 0 && resumed.output.contains("resumed after epoch"), "\(resumed.output) \(resumed.error)")
        let (a, b) = (try loadSafetensors(whole.appendingPathComponent("model.safetensors")), try loadSafetensors(killed.appendingPathComponent("model.safetensors")))
        let worst = a.map { name, w in zip(w.scalars, b[name]!.scalars).map { abs($0 - $1) }.max() ?? 0 }.max()!
        #expect(worst == 0, "resumed weights differ by \(worst)")
    }

    /// The pid of the cortex process of `rank` among the descendants of mpirun (`root`), from /proc.
    static func rankProcess(_ rank: Int, below root: Int32) -> Int32? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        func parent(_ pid: Int32) -> Int32? {
            // /proc/PID/stat: "pid (command) state ppid …"; the command may hold spaces, so read after its ')'.
            guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat").map({ String(decoding: $0, as: UTF8.self) }),
                  let close = stat.lastIndex(of: ")") else { return nil }
            return stat[stat.index(after: close)...].split(separator: " ").dropFirst().first.flatMap { Int32($0) }
        }
        func descends(_ pid: Int32) -> Bool {
            var current = pid
            for _ in 0..<32 {
                guard let up = parent(current), up > 1 else { return false }
                if up == root { return true }
                current = up
            }
            return false
        }
        for entry in entries {
            guard let pid = Int32(entry), pid != root, descends(pid),
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                  let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard String(decoding: command, as: UTF8.self).contains("cortex"),
                  variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") else { continue }
            return pid
        }
        return nil
    }

    /// Whether this machine lets us make network namespaces (root, iproute2, and a kernel and container that allow it).
    static let networkNamespacesWork: Bool = {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip") else { return false }
        let name = "cortex-probe-\(getpid())"
        func ip(_ arguments: [String]) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
            process.arguments = arguments
            (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
            guard (try? process.run()) != nil else { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }
        defer { _ = ip(["netns", "delete", name]) }
        return ip(["netns", "add", name]) == 0
    }()

    @Test(.enabled(if: networkNamespacesWork, "needs root and network namespaces"))
    func trainingAcrossTwoNetworkNamespacesOverTCPEqualsOneProcess() throws {
        // scripts/netns-mpirun: two "hosts" joined by a veth pair, MPI over TCP between them only.
        let script = Fixtures.resources.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/netns-mpirun")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-netns-\(UUID())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let arguments = ["train", "--data", "fashion-mnist-subset", "--model", "mlp", "--hidden", "64", "--epochs", "2"]
        let alone = try cortex(arguments + ["--batch-size", "64", "--output", scratch.appendingPathComponent("alone").path])
        #expect(alone.status == 0, "\(alone.error)")
        let process = Process()
        process.executableURL = script
        process.arguments = [cortexBinary.path] + arguments + ["--batch-size", "32", "--output", scratch.appendingPathComponent("hosts").path]
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && output.contains("data-parallel: 2 processes"), "\(output) \(error)")
        let (a, b) = (try loadSafetensors(scratch.appendingPathComponent("alone/model.safetensors")),
                      try loadSafetensors(scratch.appendingPathComponent("hosts/model.safetensors")))
        let worst = a.map { name, w in zip(w.scalars, b[name]!.scalars).map { abs($0 - $1) }.max() ?? 0 }.max()!
        #expect(worst <= 1e-5, "weights across namespaces differ from one process's by \(worst)")
    }

    @Test func runsThatCannotSplitRefuseMPIInsteadOfWritingOneDirectoryTwice() throws {
        let demo = try Self.launch(2, ["demo", "--epochs", "1", "--output", FileManager.default.temporaryDirectory.appendingPathComponent("cortex-mpi-demo-\(UUID())").path])
        #expect(demo.status != 0 && demo.error.contains("the demo runs as one process"), "\(demo.error)")
        let vae = try Self.launch(2, ["train", "--data", "fashion-mnist-subset", "--model", "vae", "--output", FileManager.default.temporaryDirectory.appendingPathComponent("cortex-mpi-vae-\(UUID())").path])
        #expect(vae.status != 0 && vae.error.contains("run this one without mpirun"), "\(vae.error)")
    }

    @Test func aProcessNotStartedByMPIIsAlone() throws {
        #expect(!ProcessGroup.launchedByMPI)
        #expect(try ProcessGroup.world() == nil)
        let alone = try cortex(["bench", "allreduce"])
        #expect(alone.status == 0 && alone.output.contains("one process (not started by mpirun)"))
    }
}
