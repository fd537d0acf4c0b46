#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// CPU time and memory of the generator itself and of the server under test (Linux `/proc` and POSIX clocks),
/// so a report can say which side was saturated.
public enum ProcessUsage {
    /// The generator's own user + system CPU seconds (`getrusage(RUSAGE_SELF)`), every thread included.
    public static func selfCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Self.seconds(usage.ru_utime) + Self.seconds(usage.ru_stime)
    }

    /// The generator's own user and system CPU seconds, apart: on loopback the kernel's TCP work for both ends of
    /// a segment is charged to the process that sends it, so the system part is mostly not the generator's code.
    public static func selfCPUSplit() -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (Self.seconds(usage.ru_utime), Self.seconds(usage.ru_stime))
    }

    /// The generator's peak resident set, in KiB.
    public static func selfPeakRSSKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss)
    }

    private static func seconds(_ time: timeval) -> Double {
        Double(time.tv_sec) + Double(time.tv_usec) / 1e6
    }

    /// CPU seconds (user + system, all threads) that process `pid` has used: its POSIX CPU-time clock
    /// (nanoseconds), or `/proc/<pid>/stat` in clock ticks where that clock cannot be read.
    public static func cpuSeconds(pid: Int32) -> Double? {
        var clock = clockid_t()
        if clock_getcpuclockid(pid, &clock) == 0 {
            var time = timespec()
            if clock_gettime(clock, &time) == 0 {
                return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
            }
        }
        guard let stat = Self.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[(close + 2)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 13, let user = Self.integer(fields[11]), let system = Self.integer(fields[12]) else {
            return nil
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return Double(user + system) / (ticks > 0 ? ticks : 100)
    }

    /// User and system CPU seconds of process `pid` apart (`/proc/<pid>/stat` utime and stime, all threads, in
    /// clock ticks of 10 ms): the server's own code against the kernel's work for it (its sockets, and on loopback
    /// part of its peers' TCP work).
    public static func cpuSplit(pid: Int32) -> (user: Double, system: Double)? {
        guard let stat = Self.read("/proc/\(pid)/stat") else { return nil }
        return Self.parseCPUSplit(stat: stat, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// utime and stime (fields 14 and 15) of a `/proc/<pid>/stat` line, in seconds.
    static func parseCPUSplit(stat: [UInt8], ticksPerSecond: Double) -> (user: Double, system: Double)? {
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count else { return nil }
        let fields = stat[(close + 2)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 13, let user = Self.integer(fields[11]), let system = Self.integer(fields[12]) else {
            return nil
        }
        let ticks = ticksPerSecond > 0 ? ticksPerSecond : 100
        return (Double(user) / ticks, Double(system) / ticks)
    }

    /// The resident set of `pid` now (`VmRSS`), in KiB.
    public static func rssKiB(pid: Int32) -> Int? { Self.statusField("VmRSS:", pid: pid) }

    /// The peak resident set of `pid` since it started (`VmHWM`), in KiB.
    public static func peakRSSKiB(pid: Int32) -> Int? { Self.statusField("VmHWM:", pid: pid) }

    /// Whether `pid` is a live process.
    public static func isAlive(pid: Int32) -> Bool { kill(pid, 0) == 0 }

    private static func statusField(_ name: String, pid: Int32) -> Int? {
        guard let status = Self.read("/proc/\(pid)/status") else { return nil }
        let key = Array(name.utf8)
        for line in status.split(separator: UInt8(ascii: "\n")) where line.starts(with: key) {
            let digits = line.dropFirst(key.count).filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            return Self.integer(digits[...])
        }
        return nil
    }

    private static func integer(_ bytes: some Collection<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Reads a small file (a `/proc` entry) whole.
    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    /// Raises this process's open-file limit to its hard limit; returns the soft limit now in force.
    @discardableResult
    public static func raiseFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
