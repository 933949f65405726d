// `cortex bench …`: micro-benchmarks that compare Cortex with the library it stands on, in one run.
import ArgumentParser
import Cortex
import CortexEngine
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Micro-benchmarks of the engine.", subcommands: [GemmBench.self, TrainBench.self, WorkloadBench.self, GenerativeBench.self, AllReduceBench.self])
}

struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of Tensor.matmul next to a direct sgemm call (the engine's BLAS door, no tensors) on the same data.")

    @Option(help: "Square sizes to multiply.")
    var sizes: [Int] = [256, 512, 1024, 2048]

    @Option(help: "Seconds to spend measuring each size and each contender.")
    var seconds: Double = 1.0

    func validate() throws {
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 16384 }) else { throw ValidationError("sizes must be between 1 and 16384") }
        guard seconds > 0 && seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
    }

    func run() throws {
        print("sgemm, float32, \(computeSummary)")
        if let core = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] { print("OPENBLAS_CORETYPE=\(core)") }
        print("size    Tensor.matmul GFLOP/s  direct sgemm GFLOP/s   ratio")
        for n in sizes {
            let a = Tensor.randn([n, n], generator: RandomGenerator(seed: 1), device: .cpu)
            let b = Tensor.randn([n, n], generator: RandomGenerator(seed: 2), device: .cpu)
            let flops = 2 * Double(n) * Double(n) * Double(n)
            let direct = directGemm(a, b, n)
            // Alternate the contenders in rounds so drift in clock speed hits both alike; keep the best round.
            var cortexBest = Double.infinity, directBest = Double.infinity
            for _ in 0..<3 {
                cortexBest = min(cortexBest, secondsPerCall(budget: seconds / 3) { _ = a.matmul(b) })
                directBest = min(directBest, secondsPerCall(budget: seconds / 3, direct))
            }
            let cortex = flops / cortexBest / 1e9, blas = flops / directBest / 1e9
            print(String(format: "%-7d %21.1f %21.1f %7.3f", n, cortex, blas, cortex / blas))
        }
    }

    /// A closure that runs the CPU backend's GEMM on storages uploaded once, into a preallocated result: the
    /// engine's BLAS door with no tensor, graph or allocation around it. At the sizes benchmarked (≥ 2^23
    /// multiply-adds from 256² on) it is one cblas_sgemm call.
    private func directGemm(_ a: Tensor, _ b: Tensor, _ n: Int) -> () -> Void {
        let backend = Device.cpu.backend, layout = Layout(contiguous: [n, n])
        let x = Operand(backend.upload(a.scalars), layout, .float32), y = Operand(backend.upload(b.scalars), layout, .float32)
        let out = Operand(backend.allocate(byteCount: n * n * 4, zeroed: true), layout, .float32)
        return {
            backend.gemm(transposeA: false, transposeB: false, m: n, n: n, k: n, x, lda: n, y, ldb: n, beta: 0, into: out, ldc: n)
        }
    }
}

/// Median seconds per call of `body`, measured over about `budget` seconds after one warm-up call.
func secondsPerCall(budget: Double, _ body: () -> Void) -> Double {
    body()
    var samples: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    repeat {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < budget || samples.count < 3
    samples.sort()
    return samples[samples.count / 2]
}
