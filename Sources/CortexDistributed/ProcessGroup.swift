// The processes that train together, over MPI: which one this is (rank) among how many (size), and the
// collectives data-parallel training needs — barrier, broadcast, all-reduce and all-gather — on tensors. Each
// collective reads the tensor through the backend and writes the result back the same way (one host copy each
// way), so it works on every backend, the simulated device included; MPI itself only ever sees host arrays.
import CMPI
import CortexCore
import Foundation

/// How `ProcessGroup.allReduce` combines the ranks' values.
public enum ReduceOperation: Sendable {
    case sum, average, max, min
}

/// A collective that failed, with MPI's own words for why.
public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The MPI world this process belongs to.
///
/// ```swift
/// if let group = try ProcessGroup.world() {          // nil when not started by mpirun: train alone
///     try group.broadcast(parameter, from: 0)         // everyone starts from rank 0's weights
///     try group.allReduce(gradient, .average)         // …and steps on the mean gradient
/// }
/// ```
public final class ProcessGroup: @unchecked Sendable {
    /// This process's index, 0 ..< size; rank 0 prints, reports and checkpoints.
    public let rank: Int
    public let size: Int
    let communicator: MPI_Comm

    private init(communicator: MPI_Comm) throws {
        self.communicator = communicator
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(MPI_Comm_rank(communicator, &rank), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(communicator, &size), "MPI_Comm_size")
        (self.rank, self.size) = (Int(rank), Int(size))
    }

    /// Whether an MPI launcher started this process (Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; PMIx-based
    /// launchers such as Slurm's srun set PMIX_RANK; MPICH's set PMI_SIZE).
    public static var launchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"].contains { environment[$0] != nil }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: ProcessGroup?

    /// The world group, MPI initialised on the first call (and finalised when the process exits); nil when no MPI
    /// launcher started the process, so the same command without mpirun runs alone, as it always has.
    public static func world() throws -> ProcessGroup? {
        guard launchedByMPI else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        var initialised: Int32 = 0
        try check(MPI_Initialized(&initialised), "MPI_Initialized")
        if initialised == 0 {
            var provided: Int32 = 0
            // Only the thread that started MPI calls it (training's worker threads never do).
            try check(MPI_Init_thread(nil, nil, cortex_mpi_thread_funneled(), &provided), "MPI_Init_thread")
            atexit { finalizeMPI() }
        }
        let world = cortex_mpi_comm_world()!
        // Errors come back as codes (and become Swift errors) instead of aborting the job.
        try check(MPI_Comm_set_errhandler(world, cortex_mpi_errors_return()), "MPI_Comm_set_errhandler")
        shared = try ProcessGroup(communicator: world)
        return shared
    }

    /// Ends the whole job when this process has failed under MPI: the message goes to standard error naming the
    /// rank, then MPI_Abort stops every rank (the others may be waiting on this one in a collective, and would wait
    /// for ever). Returns, doing nothing, when MPI is not running.
    public static func abortJob(because message: String, exitCode: Int32 = 1) {
        guard let group = lock.withLock({ shared }) else { return }
        FileHandle.standardError.write(Data("Error (rank \(group.rank) of \(group.size)): \(message); ending the job\n".utf8))
        _ = MPI_Abort(group.communicator, exitCode)
    }

    /// The same processes as a group of their own (MPI_Comm_dup; every rank calls it, in the same order): its
    /// collectives never match this group's, so two streams of them — gradient buckets sent while backward runs,
    /// and a synchronised batch norm's all-reduces inside backward — cannot be confused however they interleave.
    public func duplicate() throws -> ProcessGroup {
        var copy: MPI_Comm?
        try Self.check(MPI_Comm_dup(communicator, &copy), "MPI_Comm_dup")
        try Self.check(MPI_Comm_set_errhandler(copy, cortex_mpi_errors_return()), "MPI_Comm_set_errhandler")
        return try ProcessGroup(communicator: copy!)
    }

    /// Waits until every rank has called it.
    public func barrier() throws { try Self.check(MPI_Barrier(communicator), "MPI_Barrier") }

    /// Replaces `tensor`'s values (float32 or int64) on every rank with rank `root`'s.
    public func broadcast(_ tensor: Tensor, from root: Int = 0) throws {
        precondition(root >= 0 && root < size, "ProcessGroup.broadcast: root \(root) is outside 0..<\(size)")
        guard size > 1 else { return }
        switch tensor.dtype {
        case .float32:
            var values = tensor.scalars
            try Self.check(MPI_Bcast(&values, Int32(values.count), cortex_mpi_float(), Int32(root), communicator), "MPI_Bcast")
            store(values, in: tensor)
        case .int64:
            var values = tensor.integers.map { Int64($0) }
            try Self.check(MPI_Bcast(&values, Int32(values.count), cortex_mpi_int64(), Int32(root), communicator), "MPI_Bcast")
            noGrad { tensor.assign(Tensor(values.map { Int($0) }, shape: tensor.shape, device: tensor.device)) }
        default:
            preconditionFailure("ProcessGroup.broadcast: float32 or int64 tensors, got \(tensor.dtype)")
        }
    }

    /// Combines `tensor` (float32) across ranks in place: afterwards every rank holds the sum (or mean, max, min).
    public func allReduce(_ tensor: Tensor, _ operation: ReduceOperation = .sum) throws {
        precondition(tensor.dtype == .float32, "ProcessGroup.allReduce: float32 tensors, got \(tensor.dtype)")
        guard size > 1 else { return }
        store(try allReduce(tensor.scalars, operation), in: tensor)
    }

    /// Host values combined across ranks: every rank gets the element-wise sum (or mean, max, min).
    public func allReduce(_ values: [Float], _ operation: ReduceOperation = .sum) throws -> [Float] {
        try reduced(values, cortex_mpi_float(), operation)
    }

    /// Host values in Double (metric sums, counts) combined across ranks.
    public func allReduce(_ values: [Double], _ operation: ReduceOperation = .sum) throws -> [Double] {
        try reduced(values, cortex_mpi_double(), operation)
    }

    /// Every rank's `tensor` (float32, the same shape everywhere) stacked along the first axis in rank order, as
    /// torch.distributed.all_gather followed by torch.cat.
    public func allGather(_ tensor: Tensor) throws -> Tensor {
        precondition(tensor.dtype == .float32 && tensor.rank >= 1, "ProcessGroup.allGather: a float32 tensor with at least one axis, got \(tensor.dtype) \(tensor.shape)")
        guard size > 1 else { return tensor.copied() }
        let mine = tensor.scalars
        var all = [Float](repeating: 0, count: mine.count * size)
        try Self.check(MPI_Allgather(mine, Int32(mine.count), cortex_mpi_float(), &all, Int32(mine.count), cortex_mpi_float(), communicator),
                       "MPI_Allgather")
        return Tensor(all, shape: [tensor.shape[0] * size] + tensor.shape.dropFirst(), device: tensor.device)
    }

    /// MPI_Allreduce over host values of MPI type `type`, in place on a copy (an average is a sum divided here).
    private func reduced<Element: BinaryFloatingPoint & BitwiseCopyable>(_ values: [Element], _ type: MPI_Datatype, _ operation: ReduceOperation) throws -> [Element] {
        guard size > 1 else { return values }
        var values = values
        try Self.check(MPI_Allreduce(cortex_mpi_in_place(), &values, Int32(values.count), type, mpiOperation(operation), communicator), "MPI_Allreduce")
        if operation == .average { values = values.map { $0 / Element(size) } }
        return values
    }

    private func store(_ values: [Float], in tensor: Tensor) {
        noGrad { tensor.assign(Tensor(values, shape: tensor.shape, device: tensor.device)) }
    }

    private func mpiOperation(_ operation: ReduceOperation) -> MPI_Op {
        switch operation {
        case .sum, .average: cortex_mpi_sum()
        case .max: cortex_mpi_max()
        case .min: cortex_mpi_min()
        }
    }

    /// A failed MPI call as a Swift error carrying MPI's message.
    static func check(_ code: Int32, _ call: String) throws {
        guard code != cortex_mpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(cortex_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        _ = MPI_Error_string(code, &text, &length)
        let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw DistributedError("\(call) failed: \(message)")
    }
}

/// MPI_Finalize at exit, once, if MPI is still up (a C function pointer for atexit, so it captures nothing).
private func finalizeMPI() {
    var finalized: Int32 = 0
    _ = MPI_Finalized(&finalized)
    if finalized == 0 { _ = MPI_Finalize() }
}
