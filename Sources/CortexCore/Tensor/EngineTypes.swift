// The engine's types a user of `import Cortex` names directly, re-exported so that one import is enough:
// element types, devices, the seeded generator and the thread count.
import CortexEngine

/// Element types a tensor can hold (float32 computes; the others store, index and quantise).
public typealias DType = CortexEngine.DType
/// Where a tensor lives and computes: the CPU, or the simulated discrete device the tests use.
public typealias Device = CortexEngine.Device
/// Why a device could not be found, or failed: out of memory, say.
public typealias DeviceError = CortexEngine.DeviceError
/// Bytes a device's tensors hold now and at most, and its limit.
public typealias DeviceMemory = CortexEngine.DeviceMemory
/// A seedable pseudo-random generator (xoshiro256**).
public typealias RandomGenerator = CortexEngine.RandomGenerator
/// The thread count Cortex computes with (its parallel loops and BLAS): `Threads.count = 1`.
public typealias Threads = CortexEngine.Threads
/// `CORTEX_NUM_THREADS` set to something other than a positive integer.
public typealias ThreadCountError = CortexEngine.ThreadCountError
/// Host↔device traffic of the simulated device.
public typealias TransferCounts = CortexEngine.TransferCounts
/// The cell of a recurrent layer: RNN (tanh, ReLU), LSTM or GRU.
public typealias RecurrentCell = CortexEngine.RecurrentCell

/// The GEMM products run on, and why: "OpenBLAS Cooperlake", or "Cortex AVX-512 (OpenBLAS would run Prescott)"
/// where OpenBLAS would use a narrower instruction set than the CPU has.
public var gemmDescription: String { CortexEngine.BLAS.engineDescription }

/// The threads and GEMM Cortex computes with, for run and benchmark headers.
public var computeSummary: String {
    "\(Threads.count) thread\(Threads.count == 1 ? "" : "s") (\(Threads.source)), GEMM \(gemmDescription)"
}

/// The kernel set the platform BLAS runs on this CPU ("Cooperlake", "Haswell", …), for benchmark reports.
public var blasKernelName: String { CortexEngine.BLAS.kernelName }
