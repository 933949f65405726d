// The engine's worker pool and thread count, on core counts the test machine does not have: pools of up to
// 64 workers on however many cores CI gets, thousands of jobs, idle gaps that let workers park, nested and
// concurrent submitters; and the thread count taken from the affinity mask and cgroup CPU quota.
import Dispatch
import Foundation
import Testing
@testable import CortexEngine

@Suite("Worker pool")
struct WorkerPoolTests {
    /// Each pool runs in a child process with a watchdog, so a pool that loses a wake-up fails the test
    /// instead of hanging the suite.
    @Test(arguments: [3, 4, 8, 16, 64])
    func everyChunkRunsExactlyOnceOnAnOversubscribedPool(workers: Int) async {
        await #expect(processExitsWith: .success) { [workers] in
            PoolStress.exitIfStillRunning(afterSeconds: 120)
            // A short spin, so that workers park between most jobs: the wake-up is where pools go wrong.
            let pool = WorkerPool(workers: workers, spinPolls: 100, yields: 2)
            let wrong = PoolStress.run(on: pool, jobsPerSubmitter: 1500, seed: UInt64(workers))
            if wrong > 0 { FileHandle.standardError.write(Data("\(wrong) chunks did not run exactly once\n".utf8)) }
            exit(wrong == 0 ? 0 : 1)
        }
    }

    @Test func aThreadsSerialRegionDoesNotChangeAnotherThreadsGemms() async {
        await #expect(processExitsWith: .success) {
            Threads.count = 4
            let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                Parallel.serially {
                    guard BLAS.threadCount == 1, Parallel.isSerial else { exit(1) }
                    inside.signal()
                    release.wait()
                }
                done.signal()
            }
            inside.wait()
            // Another thread holds a serial region right now; this one's products are still split.
            guard BLAS.threadCount == 4, !Parallel.isSerial else { exit(2) }
            release.signal()
            done.wait()
            // A chunk of a parallel job is a serial region on whichever thread runs it.
            let seen = UnsafeMutablePointer<Int>.allocate(capacity: 8)
            seen.initialize(repeating: 0, count: 8)
            Parallel.run(8) { chunk in seen[chunk] = BLAS.threadCount }
            guard (0..<8).allSatisfy({ seen[$0] == 1 }), BLAS.threadCount == 4 else { exit(3) }
        }
    }

    @Test func threadCountFromTheEnvironmentIsAPositiveIntegerOrAnErrorNamingIt() throws {
        #expect(try Threads.count(fromEnvironmentValue: nil) == nil)
        #expect(try Threads.count(fromEnvironmentValue: "") == nil)
        #expect(try Threads.count(fromEnvironmentValue: "8") == 8)
        #expect(try Threads.count(fromEnvironmentValue: " 16\n") == 16)
        for bad in ["0", "-3", "four", "2.5", "8x"] {
            #expect {
                _ = try Threads.count(fromEnvironmentValue: bad)
            } throws: { error in
                "\(error)".contains("CORTEX_NUM_THREADS") && "\(error)".contains("\"\(bad)\"")
            }
        }
    }

    @Test func cortexRefusesABadThreadCountWithAnError() throws {
        let run = try cortex(["bench", "gemm", "--sizes", "8"], environment: ["CORTEX_NUM_THREADS": "zero"])
        #expect(run.status != 0)
        #expect(run.error.contains("CORTEX_NUM_THREADS must be a positive whole number"), "\(run.error)")
    }

    @Test func affinityMaskCountsItsCPUs() {
        var mask = [UInt64](repeating: 0, count: 16)
        for cpu in [0, 2, 5, 63, 64, 1000] { mask[cpu / 64] |= 1 << UInt64(cpu % 64) }
        #expect(mask.withUnsafeBufferPointer { CPUBudget.cpuCount(mask: $0) } == 6)
        let live = CPUBudget.affinityCount()
        #expect(live >= 1 && live <= max(1, ProcessInfo.processInfo.processorCount))
    }

    @Test func threadsAreTheAffinityCappedByTheQuotaAndAtLeastOne() {
        #expect(CPUBudget(affinity: 6, quota: nil).threads == 6)
        #expect(CPUBudget(affinity: 64, quota: 2).threads == 2)
        #expect(CPUBudget(affinity: 64, quota: 2.9).threads == 2)
        #expect(CPUBudget(affinity: 4, quota: 16).threads == 4)
        #expect(CPUBudget(affinity: 64, quota: 0.5).threads == 1)
    }

    @Test func cgroupV2QuotaIsTheTightestOverTheCgroupAndItsAncestors() throws {
        let root = try FakeRoot()
        try root.write("proc/self/cgroup", "0::/user.slice/job\n")
        try root.write("sys/fs/cgroup/cpu.max", "max 100000\n")
        try root.write("sys/fs/cgroup/user.slice/cpu.max", "300000 100000\n")
        try root.write("sys/fs/cgroup/user.slice/job/cpu.max", "150000 100000\n")
        #expect(CPUBudget.cgroupQuota(root: root.path) == 1.5)
        try root.write("sys/fs/cgroup/user.slice/job/cpu.max", "max 100000\n")
        #expect(CPUBudget.cgroupQuota(root: root.path) == 3)
        #expect(CPUBudget(affinity: 64, quota: CPUBudget.cgroupQuota(root: root.path)).threads == 3)
    }

    @Test func cgroupV2InsideAContainerReadsTheMountsOwnFiles() throws {
        // With a cgroup namespace the container sees "0::/" and its limit at the mount; without one, a path
        // that does not exist below the mount.
        for membership in ["0::/\n", "0::/docker/0123abcd\n"] {
            let root = try FakeRoot()
            try root.write("proc/self/cgroup", membership)
            try root.write("sys/fs/cgroup/cpu.max", "50000 100000\n")
            #expect(CPUBudget.cgroupQuota(root: root.path) == 0.5)
            #expect(CPUBudget(affinity: 64, quota: CPUBudget.cgroupQuota(root: root.path)).threads == 1)
        }
    }

    @Test func cgroupV1QuotaReadsTheCPUController() throws {
        let root = try FakeRoot()
        try root.write("proc/self/cgroup", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n")
        try root.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n")
        try root.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n")
        try root.write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "400000\n")
        try root.write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n")
        #expect(CPUBudget.cgroupQuota(root: root.path) == 4)
        try root.write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n")
        #expect(CPUBudget.cgroupQuota(root: root.path) == nil)
        #expect(CPUBudget(affinity: 12, quota: CPUBudget.cgroupQuota(root: root.path)).threads == 12)
    }

    @Test func noCgroupFilesMeanNoQuota() throws {
        let root = try FakeRoot()
        #expect(CPUBudget.cgroupQuota(root: root.path) == nil)
        try root.write("proc/self/cgroup", "0::/\n")
        #expect(CPUBudget.cgroupQuota(root: root.path) == nil)
    }
}

/// Jobs of random chunk counts from several submitters at once, some with jobs nested in their chunks.
enum PoolStress {
    static func exitIfStillRunning(afterSeconds seconds: UInt32) {
        Thread.detachNewThread {
            sleep(seconds)
            FileHandle.standardError.write(Data("the pool hung: still running after \(seconds) s\n".utf8))
            exit(3)
        }
    }

    /// Three submitters at once, one of them nesting jobs; the number of chunks that did not run exactly once.
    static func run(on pool: WorkerPool, jobsPerSubmitter jobs: Int, seed: UInt64) -> Int {
        let wrong = UnsafeMutablePointer<Int>.allocate(capacity: 3)
        wrong.initialize(repeating: 0, count: 3)
        let group = DispatchGroup()
        for submitter in 0..<3 {
            group.enter()
            let box = UncheckedBox(wrong)
            Thread.detachNewThread {
                box.value[submitter] = submit(on: pool, jobs: jobs, seed: seed &+ UInt64(submitter), nesting: submitter == 0)
                group.leave()
            }
        }
        group.wait()
        return (0..<3).reduce(0) { $0 + wrong[$1] }
    }

    static func submit(on pool: WorkerPool, jobs: Int, seed: UInt64, nesting: Bool) -> Int {
        var random = SplitMix64(seed)
        var wrong = 0
        for job in 0..<jobs {
            let chunks = 1 + Int(random.next() % 65)
            let runs = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
            runs.initialize(repeating: 0, count: chunks)
            Parallel.run(chunks, on: pool) { chunk in
                runs[chunk] += 1
                if nesting && chunk % 5 == 0 {
                    let inner = 1 + (chunk + job) % 9
                    let innerRuns = UnsafeMutablePointer<Int>.allocate(capacity: inner)
                    innerRuns.initialize(repeating: 0, count: inner)
                    Parallel.run(inner, on: pool) { innerRuns[$0] += 1 }
                    if !(0..<inner).allSatisfy({ innerRuns[$0] == 1 }) { runs[chunk] += 100 }
                    innerRuns.deallocate()
                }
            }
            wrong += (0..<chunks).filter { runs[$0] != 1 }.count
            runs.deallocate()
            // An idle gap now and then, long enough for every worker to park.
            if job % 50 == 49 { usleep(2_000) }
        }
        return wrong
    }
}

struct SplitMix64 {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A temporary folder standing in for "/", for files under /proc and /sys.
final class FakeRoot {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-root-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
