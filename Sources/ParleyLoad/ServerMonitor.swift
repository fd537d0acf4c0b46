/// The server under test, seen from outside (`--server-pid`): CPU time at phase edges and RSS sampled during the
/// run. Without a pid every reading is nil or 0.
struct ServerMonitor {
    let pid: Int32?
    private(set) var cpuAtStart: Double?
    private(set) var rssBeforeKiB = 0
    private(set) var peakRSSKiB = 0
    private(set) var lastRSSKiB = 0

    init(pid: Int32?) {
        self.pid = pid
        guard let pid else { return }
        self.cpuAtStart = ProcessUsage.cpuSeconds(pid: pid)
        let rss = ProcessUsage.rssKiB(pid: pid) ?? 0
        self.rssBeforeKiB = rss
        self.peakRSSKiB = rss
        self.lastRSSKiB = rss
    }

    func cpuSeconds() -> Double? {
        self.pid.flatMap { ProcessUsage.cpuSeconds(pid: $0) }
    }

    mutating func sample() {
        guard let pid = self.pid, let rss = ProcessUsage.rssKiB(pid: pid) else { return }
        self.lastRSSKiB = rss
        self.peakRSSKiB = max(self.peakRSSKiB, rss)
    }
}
