/// CPU time of the generator and of the server, sampled at every poll (20 ms), so that a phase's CPU can be read at
/// the moment its last operation completed rather than when the runner noticed: clients that time out later, or
/// the teardown, must not be charged to the phase.
struct UsageTimeline {
    struct Sample {
        var at: UInt64
        var user: Double
        var system: Double
        var server: Double?
        /// The server's user and system CPU seconds apart (`/proc/<pid>/stat`, 10 ms ticks).
        var serverUser: Double?
        var serverSystem: Double?
    }

    let serverPID: Int32?
    private(set) var samples: [Sample] = []

    init(serverPID: Int32?) {
        self.serverPID = serverPID
    }

    /// Records the CPU times now and returns the sample.
    @discardableResult
    mutating func sample() -> Sample {
        let split = ProcessUsage.selfCPUSplit()
        let serverSplit = self.serverPID.flatMap { ProcessUsage.cpuSplit(pid: $0) }
        let sample = Sample(
            at: LoadClock.now(),
            user: split.user,
            system: split.system,
            server: self.serverPID.flatMap { ProcessUsage.cpuSeconds(pid: $0) },
            serverUser: serverSplit?.user,
            serverSystem: serverSplit?.system
        )
        self.samples.append(sample)
        return sample
    }

    /// The CPU times at `time`, interpolated linearly between the samples around it (the nearest one outside the
    /// sampled range).
    func value(at time: UInt64) -> Sample {
        guard let last = self.samples.last, let first = self.samples.first else {
            return Sample(at: time, user: 0, system: 0, server: nil, serverUser: nil, serverSystem: nil)
        }
        if time >= last.at { return last }
        if time <= first.at { return first }
        // Samples are in time order: binary search for the first sample after `time`.
        var low = 0
        var high = self.samples.count - 1
        while low < high {
            let middle = (low + high) / 2
            if self.samples[middle].at <= time { low = middle + 1 } else { high = middle }
        }
        let after = self.samples[low]
        let before = self.samples[low - 1]
        let span = Double(after.at - before.at)
        let fraction = span > 0 ? Double(time - before.at) / span : 1
        func mix(_ a: Double, _ b: Double) -> Double { a + (b - a) * fraction }
        func mixOptional(_ a: Double?, _ b: Double?) -> Double? {
            guard let a, let b else { return nil }
            return mix(a, b)
        }
        return Sample(
            at: time,
            user: mix(before.user, after.user),
            system: mix(before.system, after.system),
            server: mixOptional(before.server, after.server),
            serverUser: mixOptional(before.serverUser, after.serverUser),
            serverSystem: mixOptional(before.serverSystem, after.serverSystem)
        )
    }

    /// Keeps the samples small over long runs: only the last `count` matter once a phase is over.
    mutating func trim(keepingLast count: Int) {
        if self.samples.count > count { self.samples.removeFirst(self.samples.count - count) }
    }
}
