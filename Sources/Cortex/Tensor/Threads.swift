// The one knob for how many threads Cortex computes with, re-exported from the engine so that
// `import Cortex` is enough to set it.
import CortexEngine

/// The thread count Cortex computes with (its parallel loops and BLAS): `Threads.count = 1`.
public typealias Threads = CortexEngine.Threads
