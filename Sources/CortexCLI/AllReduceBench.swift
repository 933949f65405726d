// `cortex bench allreduce`: under mpirun, checks every collective on tensors against values each rank can
// predict, then times all-reduce across message sizes — the measured side of the README's scaling model.
// Without mpirun it runs as one rank and says so.
import ArgumentParser
import Cortex
import CortexRuns
import CortexDistributed
import Foundation

struct AllReduceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Check MPI collectives on tensors and time all-reduce by message size (run under mpirun -np N).")

    @Option(parsing: .upToNextOption, help: "Message sizes in float32 values.")
    var sizes: [Int] = [1, 256, 4096, 65_536, 1_048_576, 4_194_304]

    @Option(help: "Timed all-reduces per size (after one warm-up); the median is reported.")
    var repeats = 20

    func validate() throws {
        guard sizes.allSatisfy({ $0 >= 1 && $0 <= 268_435_456 }) else { throw ValidationError("--sizes must be between 1 and 2^28 values") }
        guard (1...10_000).contains(repeats) else { throw ValidationError("--repeats must be between 1 and 10000") }
    }

    func run() throws {
        guard let group = try ProcessGroup.world() else {
            print("one process (not started by mpirun): nothing to reduce. Run: mpirun -np 2 cortex bench allreduce")
            return
        }
        let (rank, n) = (group.rank, group.size)
        // Collectives whose results every rank knows in advance.
        let mine = Tensor((0..<5).map { Float(rank + 1) * Float($0 + 1) }, shape: [5])
        try group.allReduce(mine, .sum)
        let triangle = Float(n * (n + 1) / 2)
        var failures: [String] = []
        if mine.scalars != (0..<5).map({ triangle * Float($0 + 1) }) { failures.append("allReduce sum \(mine.scalars)") }
        let mean = Tensor([Float(rank)], shape: [1])
        try group.allReduce(mean, .average)
        if abs(mean.item() - Float(n - 1) / 2) > 1e-6 { failures.append("allReduce average \(mean.item())") }
        let maximum = Tensor([Float(rank)], shape: [1])
        try group.allReduce(maximum, .max)
        if maximum.item() != Float(n - 1) { failures.append("allReduce max \(maximum.item())") }
        let broadcast = Tensor([Float(rank), 7], shape: [2])
        try group.broadcast(broadcast, from: n - 1)
        if broadcast.scalars != [Float(n - 1), 7] { failures.append("broadcast \(broadcast.scalars)") }
        let gathered = try group.allGather(Tensor([Float(rank), Float(rank)], shape: [1, 2]))
        if gathered.shape != [n, 2] || gathered.scalars != (0..<n).flatMap({ [Float($0), Float($0)] }) { failures.append("allGather \(gathered.scalars)") }
        let everyone = try group.allReduce([failures.isEmpty ? 0.0 : 1.0], .sum)[0]
        if !failures.isEmpty { FileHandle.standardError.write(Data("rank \(rank): wrong \(failures.joined(separator: "; "))\n".utf8)) }
        guard everyone == 0 else { throw PlainError("collectives gave wrong results on \(Int(everyone)) of \(n) ranks") }
        if rank == 0 { print("check: allReduce (sum, average, max), broadcast and allGather correct on \(n) ranks") }

        if rank == 0 {
            print("all-reduce of float32 tensors across \(n) ranks, median of \(repeats); bus bandwidth = 2(N−1)/N × bytes / time")
            print("values      bytes      time (µs)   algorithm GB/s   bus GB/s")
        }
        for count in sizes {
            let tensor = Tensor.ones([count])
            try group.allReduce(tensor)
            var times: [Double] = []
            for _ in 0..<repeats {
                try group.barrier()
                let start = DispatchTime.now().uptimeNanoseconds
                try group.allReduce(tensor)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            // The slowest rank's time is the collective's.
            let slowest = try group.allReduce(times, .max).sorted()
            let median = slowest[slowest.count / 2], bytes = Double(count * 4)
            if rank == 0 {
                print(String(format: "%-11d %-10.0f %10.1f %15.3f %10.3f", count, bytes, median * 1e6, bytes / median / 1e9,
                             2 * Double(n - 1) / Double(n) * bytes / median / 1e9))
            }
        }
    }
}
