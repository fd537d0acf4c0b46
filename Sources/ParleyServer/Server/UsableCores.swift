import Foundation
import NIOCore

/// How many cores this process may run on: the CPUs of its affinity mask (`taskset`, a container's
/// cpuset), never more than NIO's count (which also follows cgroup CPU quotas). One event loop per usable
/// core: a second loop squeezed onto one core only adds cross-loop hops and context switches.
public enum UsableCores {
    public static var count: Int {
        let system = System.coreCount
        guard let allowed = self.affinityCount() else { return system }
        return max(1, min(system, allowed))
    }

    /// `Cpus_allowed` from `/proc/self/status` (proc(5)): a comma-separated hex mask. Nil when unreadable.
    static func affinityCount(
        status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    ) -> Int? {
        guard let status else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed:") {
            var bits = 0
            for character in line.dropFirst("Cpus_allowed:".count) {
                guard let nibble = character.hexDigitValue else { continue }
                bits += nibble.nonzeroBitCount
            }
            return bits > 0 ? bits : nil
        }
        return nil
    }
}
