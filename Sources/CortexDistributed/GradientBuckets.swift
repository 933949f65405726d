// Gradient averaging that overlaps backward, as PyTorch's DDP does: the parameters are grouped into buckets in
// reverse order (backward produces the last layers' gradients first), and each bucket's non-blocking all-reduce
// starts as soon as backward has completed every gradient in it, while the earlier layers' are still being
// computed. MPI needs host memory that stays put until a non-blocking call completes, so each bucket owns a
// host buffer, allocated once and reused every step.
import CMPI
import CortexCore

/// The buckets of one model's parameters; `DataParallel` keeps one per parameter list and reuses it each step.
final class GradientBuckets: GradientAveraging {
    /// A run of parameters sent in one all-reduce: their gradients (each times this replica's share) one after
    /// another, then one presence flag per parameter, so that a parameter no replica has a gradient for stays
    /// without one (the optimiser leaves it alone, as it would in one process).
    final class Bucket {
        let members: [Int]
        let offsets: [Int]
        let values: Int
        let buffer: UnsafeMutablePointer<Float>
        var ready = 0
        var request: MPI_Request?

        init(members: [Int], counts: [Int]) {
            self.members = members
            var offsets: [Int] = [], total = 0
            for count in counts { offsets.append(total); total += count }
            self.offsets = offsets
            values = total
            buffer = .allocate(capacity: total + members.count)
        }

        deinit { buffer.deallocate() }
    }

    let group: ProcessGroup
    let parameters: [Tensor]
    let buckets: [Bucket]
    /// Each parameter's bucket.
    private let bucketOf: [ObjectIdentifier: Int]
    private var share: Float = 1
    /// Buckets are sent strictly in order, so every replica makes the same MPI calls in the same order even if a
    /// bucket completes early on one of them.
    private var nextToSend = 0

    init(group: ProcessGroup, parameters: [Tensor], bucketBytes: Int) {
        self.group = group
        self.parameters = parameters
        var buckets: [Bucket] = [], members: [Int] = [], counts: [Int] = [], bytes = 0
        for index in parameters.indices.reversed() {
            members.append(index)
            counts.append(parameters[index].count)
            bytes += 4 * parameters[index].count
            if bytes >= bucketBytes {
                buckets.append(Bucket(members: members, counts: counts))
                (members, counts, bytes) = ([], [], 0)
            }
        }
        if !members.isEmpty { buckets.append(Bucket(members: members, counts: counts)) }
        self.buckets = buckets
        var bucketOf: [ObjectIdentifier: Int] = [:]
        for (b, bucket) in buckets.enumerated() { for m in bucket.members { bucketOf[ObjectIdentifier(parameters[m])] = b } }
        self.bucketOf = bucketOf
    }

    /// Whether these buckets were made for exactly `parameters`.
    func serves(_ parameters: [Tensor]) -> Bool {
        parameters.count == self.parameters.count && zip(parameters, self.parameters).allSatisfy { $0 === $1 }
    }

    /// Readies the buckets for a new step.
    func begin(share: Double) {
        precondition(buckets.allSatisfy { $0.request == nil }, "GradientBuckets: a step began before the last one finished")
        self.share = Float(share)
        nextToSend = 0
        for bucket in buckets { bucket.ready = 0 }
    }

    func gradientIsReady(_ parameter: Tensor) {
        guard let b = bucketOf[ObjectIdentifier(parameter)] else { return }
        buckets[b].ready += 1
        do {
            try sendCompleteBuckets()
            // Open MPI moves a non-blocking collective along only inside MPI calls: test the oldest one now.
            if let oldest = buckets.prefix(nextToSend).first(where: { $0.request != nil }) {
                var done: Int32 = 0
                try ProcessGroup.check(MPI_Test(&oldest.request, &done, cortex_mpi_status_ignore()), "MPI_Test")
                if done != 0 { oldest.request = nil }
            }
        } catch {
            // Backward cannot throw; a failed collective ends the process (and mpirun the job).
            fatalError("data-parallel gradient all-reduce failed: \(error)")
        }
    }

    func finish() throws {
        // Buckets backward never completed (parameters without a gradient this step) go now, in order.
        while nextToSend < buckets.count { try send(buckets[nextToSend]); nextToSend += 1 }
        for bucket in buckets {
            if bucket.request != nil {
                try ProcessGroup.check(MPI_Wait(&bucket.request, cortex_mpi_status_ignore()), "MPI_Wait")
                bucket.request = nil
            }
            noGrad {
                for (position, index) in bucket.members.enumerated() {
                    let parameter = parameters[index]
                    // No replica had a gradient for it: it keeps none.
                    guard bucket.buffer[bucket.values + position] > 0 else { parameter.grad = nil; continue }
                    let start = bucket.buffer + bucket.offsets[position]
                    let averaged = Tensor(Array(UnsafeBufferPointer(start: start, count: parameter.count)), shape: parameter.shape,
                                          device: parameter.device)
                    if let existing = parameter.grad { existing.assign(averaged) } else { parameter.grad = averaged }
                }
            }
        }
    }

    private func sendCompleteBuckets() throws {
        while nextToSend < buckets.count, buckets[nextToSend].ready == buckets[nextToSend].members.count {
            try send(buckets[nextToSend])
            nextToSend += 1
        }
    }

    /// Copies the bucket's gradients (times this replica's share) into its buffer and starts their all-reduce.
    private func send(_ bucket: Bucket) throws {
        for (position, index) in bucket.members.enumerated() {
            let start = bucket.buffer + bucket.offsets[position], count = parameters[index].count
            if let gradient = parameters[index].grad {
                let values = gradient.scalars
                for i in 0..<count { start[i] = values[i] * share }
                bucket.buffer[bucket.values + position] = 1
            } else {
                start.update(repeating: 0, count: count)
                bucket.buffer[bucket.values + position] = 0
            }
        }
        try ProcessGroup.check(MPI_Iallreduce(cortex_mpi_in_place(), bucket.buffer, Int32(bucket.values + bucket.members.count),
                                              cortex_mpi_float(), cortex_mpi_sum(), group.communicator, &bucket.request),
                               "MPI_Iallreduce")
    }
}
