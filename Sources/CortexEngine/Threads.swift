// How many threads Cortex computes with, and where that number comes from: the user's CORTEX_NUM_THREADS,
// else the CPUs this process may really use (CPUBudget).
import CBLAS
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How many threads Cortex computes with: its own parallel loops and its split GEMMs alike. It starts at
/// `CORTEX_NUM_THREADS` when set, else at the CPUs this process may use (its affinity mask, capped by its
/// container's CPU quota), and can be changed at any time: `Threads.count = 1` for a server that runs one
/// request per core.
public enum Threads {
    @usableFromInline static let current = Atomic<Int>(initialCount())

    public static var count: Int {
        @inlinable get { current.load(ordering: .relaxed) }
        set {
            precondition(newValue >= 1, "Threads.count must be at least 1, got \(newValue)")
            current.store(newValue, ordering: .relaxed)
        }
    }

    /// Where the starting count came from, for run headers: "CORTEX_NUM_THREADS" or a `CPUBudget` description.
    public static var source: String {
        (try? environmentCount()) != nil ? "CORTEX_NUM_THREADS" : CPUBudget.current().description
    }

    /// The thread count `CORTEX_NUM_THREADS` asks for: nil when it is unset or empty, an error when it is not a
    /// positive integer. Commands call this first, so a bad value is reported as an error rather than a trap.
    public static func environmentCount() throws(ThreadCountError) -> Int? {
        try count(fromEnvironmentValue: environmentValue())
    }

    /// A `CORTEX_NUM_THREADS` value read: nil for unset or empty, else a positive integer or an error naming it.
    static func count(fromEnvironmentValue text: String?) throws(ThreadCountError) -> Int? {
        guard let text, !text.isEmpty else { return nil }
        guard let count = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), count >= 1 else { throw ThreadCountError(value: text) }
        return count
    }

    private static func environmentValue() -> String? {
        guard let raw = getenv("CORTEX_NUM_THREADS") else { return nil }
        return String(cString: raw)
    }

    static func initialCount() -> Int {
        // OpenBLAS starts with its own idea (OPENBLAS_NUM_THREADS or the cores); it is kept at one thread, and
        // large products are split over the engine's threads (see BLAS.sgemm).
        openblas_set_num_threads(1)
        do {
            return try environmentCount() ?? CPUBudget.current().threads
        } catch {
            fatalError(error.description)
        }
    }
}

/// `CORTEX_NUM_THREADS` set to something other than a positive integer.
public struct ThreadCountError: Error, CustomStringConvertible {
    public let value: String
    public var description: String {
        "CORTEX_NUM_THREADS must be a positive whole number of threads, got \"\(value)\" (unset it to use every CPU this process may use)"
    }
}
