// The CPUs this process may really use: the affinity mask (taskset, cpusets) capped by the cgroup CPU quota
// (a container's --cpus), as Rust's available_parallelism and vLLM take it. The machine's core count is not
// it: a 2-CPU container on a 64-core host that started 63 workers would spend its quota spinning.
import CCortexKernels
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct CPUBudget: Sendable, Equatable, CustomStringConvertible {
    /// CPUs in the affinity mask.
    public var affinity: Int
    /// The cgroup CPU quota in CPUs (quota / period), nil when there is none.
    public var quota: Double?

    /// The threads to run: the affinity count, capped at ⌊quota⌋, and at least 1.
    public var threads: Int {
        guard let quota else { return max(1, affinity) }
        return max(1, min(affinity, Int(quota.rounded(.down))))
    }

    public var description: String {
        let cpus = "\(affinity) CPU\(affinity == 1 ? "" : "s") in the affinity mask"
        guard let quota else { return cpus }
        let shown = quota == quota.rounded() ? String(Int(quota)) : String(format: "%.2f", quota)
        return "\(cpus), cgroup quota \(shown) CPUs"
    }

    /// This process's budget.
    public static func current() -> CPUBudget {
        CPUBudget(affinity: affinityCount(), quota: cgroupQuota(root: "/"))
    }

    /// CPUs in the process's affinity mask; the online count where the mask cannot be read.
    static func affinityCount() -> Int {
        // Room for 8,192 CPUs; a wider mask (or none, off Linux) falls back to the online count.
        var words = [UInt64](repeating: 0, count: 128)
        let read = words.withUnsafeMutableBufferPointer { ck_affinity_mask($0.baseAddress, $0.count) } == 0
        let count = read ? words.withUnsafeBufferPointer { cpuCount(mask: $0) } : 0
        return count > 0 ? count : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// The CPUs set in an affinity mask (`cpu_set_t`'s bits, CPU i at bit i).
    static func cpuCount(mask: UnsafeBufferPointer<UInt64>) -> Int {
        mask.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// The tightest CPU quota over this process's cgroup and its ancestors, in CPUs, under a file-system `root`
    /// (tests pass a folder of fake /proc and /sys files). cgroup v2 (`cpu.max`: "max 100000" or
    /// "200000 100000") and v1 (`cpu.cfs_quota_us`, -1 for none, and `cpu.cfs_period_us`). Nil when no quota
    /// is set or nothing can be read.
    static func cgroupQuota(root: String) -> Double? {
        guard let memberships = read(root, "proc/self/cgroup") else { return nil }
        var tightest: Double?
        func consider(_ quota: Double?) {
            if let quota, quota > 0 { tightest = min(tightest ?? quota, quota) }
        }
        for line in memberships.split(separator: "\n") {
            // "hierarchy-ID:controllers:path"; v2's line is "0::/path".
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let controllers = fields[1].split(separator: ","), path = String(fields[2])
            if fields[0] == "0" && controllers.isEmpty {
                for directory in cgroupDirectories(mount: "sys/fs/cgroup", path: path, root: root) {
                    consider(read(root, directory + "/cpu.max").flatMap(quotaV2))
                }
            } else if controllers.contains("cpu") {
                for mount in ["sys/fs/cgroup/cpu,cpuacct", "sys/fs/cgroup/cpu", "sys/fs/cgroup/cpuacct,cpu"] {
                    for directory in cgroupDirectories(mount: mount, path: path, root: root) {
                        consider(quotaV1(quota: read(root, directory + "/cpu.cfs_quota_us"),
                                         period: read(root, directory + "/cpu.cfs_period_us")))
                    }
                }
            }
        }
        return tightest
    }

    /// The process's cgroup folder and each ancestor up to the mount. Inside a container the path named in
    /// /proc/self/cgroup may not exist below the mount (the container sees its own cgroup as the root), and
    /// then the mount's own files are the container's.
    private static func cgroupDirectories(mount: String, path: String, root: String) -> [String] {
        var directories = [mount]
        var prefix = mount
        for part in path.split(separator: "/") {
            prefix += "/" + part
            directories.append(prefix)
        }
        return directories.filter { FileManager.default.fileExists(atPath: join(root, $0)) }
    }

    /// "max 100000" → nil; "150000 100000" → 1.5.
    static func quotaV2(_ text: String) -> Double? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 2, fields[0] != "max", let quota = Double(fields[0]), let period = Double(fields[1]),
              period > 0 else { return nil }
        return quota / period
    }

    static func quotaV1(quota: String?, period: String?) -> Double? {
        guard let quota = quota.flatMap({ Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }), quota > 0,
              let period = period.flatMap({ Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }), period > 0
        else { return nil }
        return quota / period
    }

    private static func join(_ root: String, _ path: String) -> String {
        root.hasSuffix("/") ? root + path : root + "/" + path
    }

    private static func read(_ root: String, _ path: String) -> String? {
        try? String(contentsOfFile: join(root, path), encoding: .utf8)
    }
}
