import NIOCore
import NIOPosix
import ParleyTLS

#if canImport(Glibc)
import Glibc
#endif

/// Runs one load test from start to finish and returns its report. `run()` blocks the calling thread, which only
/// polls: every client lives on the workers' event loops.
///
/// Phases: (focus login, jitsi) → join or login → (updates, fanout) → (hold, idle) → teardown. Each phase is
/// timed from its first start to its last completion; CPU time is read for the generator (`getrusage`) and for
/// the server (`--server-pid`) at the phase's edges. The whole run ends at `duration`, whatever is left.
public final class LoadRunner {
    public let configuration: LoadConfiguration
    private let progress: ((String) -> Void)?
    /// How often the runner polls the workers, and samples the server's RSS.
    private let pollInterval: UInt32 = 20_000
    private let rssInterval: UInt64 = 100_000_000

    public init(configuration: LoadConfiguration, progress: ((String) -> Void)? = nil) {
        self.configuration = configuration
        self.progress = progress
    }

    public func run() throws -> LoadReport {
        let configuration = self.configuration
        try configuration.validate()
        let templates = StanzaTemplates(configuration: configuration)
        try templates.check()

        let fileLimit = ProcessUsage.raiseFileLimit()
        let needed = configuration.clients * configuration.transport.socketsPerClient + 64
        if configuration.scenario != .login && needed > fileLimit {
            throw LoadConfigurationError(problems: [
                "\(configuration.clients) clients need about \(needed) open files; the limit is \(fileLimit) (ulimit -n)"
            ])
        }
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(configuration.host, port: configuration.port)
        } catch {
            throw LoadConfigurationError(problems: ["cannot resolve --host \(configuration.host): \(error)"])
        }
        let tls = try TLSContext.client(verifyPeer: false)

        // Plain TCP runs on the generator's raw loops, everything else on NIO (see `RawEventLoop`).
        let useRaw = self.usesRawEngine
        var rawLoops: [RawEventLoop] = []
        var group: MultiThreadedEventLoopGroup? = nil
        var workers: [LoopBound<LoadWorker>] = []
        defer {
            // The workers outlive the loops: a client whose connection closes during the shutdown still reaches its
            // worker (`LoadClient.worker` is unowned).
            withExtendedLifetime(workers) {
                for loop in rawLoops { loop.shutdown() }
                try? group?.syncShutdownGracefully()
            }
        }
        let count = configuration.threads
        for index in 0..<count {
            let loop: any LoadEventLoop
            let makeConnector: @Sendable () -> any ClientConnecting
            if useRaw {
                let raw = try RawEventLoop()
                raw.start(name: "load-\(index)")
                rawLoops.append(raw)
                loop = raw
                makeConnector = { RawConnector(loop: raw, address: address, templates: templates) }
            } else {
                let nioGroup = group ?? MultiThreadedEventLoopGroup(numberOfThreads: count)
                group = nioGroup
                let eventLoop = nioGroup.next()
                loop = NIOLoadEventLoop(eventLoop)
                makeConnector = {
                    ClientConnector(
                        eventLoop: eventLoop,
                        configuration: configuration,
                        templates: templates,
                        tls: tls,
                        address: address
                    )
                }
            }
            let worker = try loop.submitAndWait { () -> LoopBound<LoadWorker> in
                LoopBound(
                    value: LoadWorker(
                        id: index,
                        workerCount: count,
                        loop: loop,
                        connector: makeConnector(),
                        configuration: configuration,
                        templates: templates
                    ),
                    loop: loop
                )
            }
            workers.append(worker)
        }

        var monitor = ServerMonitor(pid: configuration.serverPID)
        var timeline = UsageTimeline(serverPID: configuration.serverPID)
        let runStart = LoadClock.now()
        let deadline = runStart + UInt64(configuration.duration * 1e9)
        let generatorStart = ProcessUsage.selfCPUSeconds()
        var phases: [LoadReport.Phase] = []
        // Waiting for presences ends when none has arrived for this long (`--stall`).
        let stallLimit = UInt64(configuration.stall * 1e9)

        // The emulated focus logs in before any participant asks for a conference.
        if configuration.scenario == .jitsi && configuration.focusJID != nil {
            let first = workers[0]
            first.loop.execute { first.value.startFocus() }
            let focusDeadline = min(deadline, LoadClock.now() + 10_000_000_000)
            while true {
                let snapshot = try self.snapshot(workers)
                if snapshot.focusReady { break }
                if LoadClock.now() > focusDeadline || snapshot.errors.total > 0 {
                    self.shutdown(workers)
                    let reasons = snapshot.errors.sorted.map(\.condition).joined(separator: ", ")
                    throw LoadConfigurationError(problems: [
                        "the focus \(configuration.focusJID ?? "") could not log in\(reasons.isEmpty ? "" : ": " + reasons)"
                    ])
                }
                usleep(self.pollInterval)
                monitor.sample()
            }
        }

        // Phase 1: logins or joins.
        let joinBegin = timeline.sample()
        let joinStart = joinBegin.at
        for worker in workers { worker.loop.execute { worker.value.beginJoinPhase(at: joinStart) } }
        var last = try self.poll(
            workers,
            monitor: &monitor,
            timeline: &timeline,
            deadline: deadline,
            phase: configuration.scenario.operationName,
            start: joinStart
        ) {
            $0.finished >= configuration.clients
        }
        let joinEnd = last.lastCompletionAt > joinStart ? last.lastCompletionAt : LoadClock.now()
        let joinUsage = Self.usage(timeline, from: joinBegin, to: joinEnd)
        // The last joiners' presences to the others of their rooms travel on other connections than their own
        // self-presences: wait for them (at most until nothing moves for `--stall` seconds), so the count is whole.
        // The phase's time and CPU end at the last join all the same.
        let expectedJoinPresences = (0..<self.roomCount).reduce(0) {
            let occupants = configuration.occupants(ofRoom: $1)
            return $0 + occupants * occupants
        }
        if configuration.scenario.joinsRoom && last.failed == 0 && last.presences < expectedJoinPresences {
            var lastPresences = last.presences
            var lastChange = LoadClock.now()
            last = try self.poll(
                workers,
                monitor: &monitor,
                timeline: &timeline,
                deadline: deadline,
                phase: configuration.scenario.operationName,
                start: joinStart
            ) { snapshot in
                if snapshot.presences != lastPresences {
                    lastPresences = snapshot.presences
                    lastChange = LoadClock.now()
                }
                return snapshot.presences >= expectedJoinPresences || LoadClock.now() - lastChange > stallLimit
            }
        }
        last = try self.snapshot(workers, latencies: true)
        let joinLatencies = last.latencies ?? WorkerSnapshot.Latencies()
        phases.append(
            self.phase(
                name: configuration.scenario.operationName,
                operations: last.completed,
                failed: last.failed,
                start: joinStart,
                end: joinEnd,
                usage: joinUsage,
                latency: joinLatencies.operation,
                session: joinLatencies.session,
                login: configuration.scenario.joinsRoom ? joinLatencies.login : nil,
                deliveries: configuration.scenario.joinsRoom ? last.presences : nil,
                expected: nil
            )
        )

        // Phase 2 (fanout): every occupant sends its updates.
        if configuration.scenario == .fanout && last.completed > 0 && LoadClock.now() < deadline {
            let before = try self.snapshot(workers)
            let updateBegin = timeline.sample()
            let updateStart = updateBegin.at
            for worker in workers { worker.loop.execute { worker.value.beginUpdates() } }
            var lastPresences = before.presences
            var lastChange = updateStart
            last = try self.poll(
                workers,
                monitor: &monitor,
                timeline: &timeline,
                deadline: deadline,
                phase: "fanout",
                start: updateStart
            ) {
                snapshot in
                if snapshot.presences != lastPresences {
                    lastPresences = snapshot.presences
                    lastChange = LoadClock.now()
                }
                // Done when every expected presence arrived, or nothing has moved for `--stall` seconds.
                return snapshot.presencesMissing == 0 || LoadClock.now() - lastChange > stallLimit
            }
            var deliveries = DeliveryTracker(updates: 0)
            for (index, worker) in workers.enumerated() {
                let tracker = try worker.loop.submitAndWait { worker.value.deliveries }
                if index == 0 { deliveries = tracker } else { deliveries.merge(tracker) }
            }
            // The phase ends at the last delivery of any update (or the last echo, should no update be tracked).
            let updateEnd = max(last.lastEchoAt, deliveries.lastReceiptAt, updateStart)
            let updateUsage = Self.usage(timeline, from: updateBegin, to: updateEnd)
            last = try self.snapshot(workers, latencies: true)
            let expected =
                configuration.updates
                * (0..<self.roomCount).reduce(0) {
                    let occupants = configuration.occupants(ofRoom: $1)
                    return $0 + occupants * occupants
                }
            let updates = configuration.updates
            let tracked = deliveries.summary { tag in
                configuration.occupants(ofRoom: (tag / updates) / configuration.effectiveRoomSize)
            }
            var fanout = self.phase(
                name: "fanout",
                operations: last.updatesEchoed,
                failed: last.updatesSent - last.updatesEchoed,
                start: updateStart,
                end: updateEnd,
                usage: updateUsage,
                latency: last.latencies?.update ?? LatencyRecorder(),
                session: nil,
                login: nil,
                deliveries: last.presences - last.joinPresences,
                expected: expected
            )
            fanout.lastDeliveryLatency = tracked.lastDelivery.summary
            fanout.updatesTracked = tracked.updates
            fanout.updatesComplete = tracked.complete
            fanout.updatesIncomplete = tracked.incomplete
            fanout.updatesDuplicated = tracked.duplicated
            fanout.trackedDeliveries = tracked.deliveries
            fanout.trackedExpectedDeliveries = tracked.expected
            fanout.untrackedDeliveries = deliveries.untracked
            phases.append(fanout)
        }

        // Idle: hold the joined sessions.
        if configuration.scenario == .idle {
            let holdEnd = min(deadline, LoadClock.now() + UInt64(configuration.hold * 1e9))
            while LoadClock.now() < holdEnd {
                usleep(self.pollInterval * 5)
                monitor.sample()
                let elapsed = LoadClock.seconds(from: runStart, to: LoadClock.now())
                self.progress?(
                    "[\(NumberFormat.fixed(elapsed, 1))s] hold  \(last.completed) sessions  rss \(monitor.lastRSSKiB / 1024) MiB"
                )
            }
            last = try self.snapshot(workers)
        }
        monitor.sample()
        let rssJoined = monitor.lastRSSKiB
        let held = last.openConnections

        // Teardown: polite closes, then whatever is left is dropped.
        for worker in workers { worker.loop.execute { worker.value.closeAll() } }
        let closeDeadline = min(deadline + 5_000_000_000, LoadClock.now() + 5_000_000_000)
        while LoadClock.now() < closeDeadline {
            let snapshot = try self.snapshot(workers)
            if snapshot.openConnections <= 0 { break }
            usleep(self.pollInterval)
            monitor.sample()
        }
        self.shutdown(workers)
        let final = try self.snapshot(workers)
        if configuration.settle > 0 {
            let settleEnd = LoadClock.now() + UInt64(configuration.settle * 1e9)
            while LoadClock.now() < settleEnd {
                usleep(self.pollInterval * 5)
                monitor.sample()
            }
        }
        monitor.sample()
        let runEnd = LoadClock.now()

        var server: LoadReport.Server? = nil
        if let pid = configuration.serverPID {
            let perSession: Double? =
                held > 0 && configuration.scenario != .login
                ? Double(rssJoined - monitor.rssBeforeKiB) * 1024 / Double(held) : nil
            server = LoadReport.Server(
                pid: pid,
                cpuSeconds: (monitor.cpuSeconds() ?? 0) - (monitor.cpuAtStart ?? 0),
                rssBeforeKib: monitor.rssBeforeKiB,
                rssPeakKib: monitor.peakRSSKiB,
                rssJoinedKib: rssJoined,
                rssAfterKib: monitor.lastRSSKiB,
                bytesPerSession: perSession
            )
        }
        let rate: Double?
        let concurrency: Int?
        switch configuration.driver {
        case .rate(let value):
            rate = value
            concurrency = nil
        case .concurrency(let value):
            rate = nil
            concurrency = value
        }
        var errors: [String: Int] = [:]
        for (condition, count) in final.errors.sorted { errors[condition] = count }
        let notStarted = configuration.clients - final.started
        return LoadReport(
            scenario: configuration.scenario.rawValue,
            transport: configuration.transport.rawValue,
            target: "\(configuration.host):\(configuration.port)"
                + (configuration.transport.defaultPath != nil ? configuration.path : ""),
            domain: configuration.domain,
            muc: configuration.mucDomain,
            driver: rate != nil ? "open" : "closed",
            rate: rate,
            concurrency: concurrency,
            ramp: configuration.ramp,
            clients: configuration.clients,
            roomSize: configuration.effectiveRoomSize,
            updates: configuration.scenario == .fanout ? configuration.updates : nil,
            holdSeconds: configuration.scenario == .idle ? configuration.hold : nil,
            presence: configuration.presence.rawValue,
            presenceBytes: templates.joinPresenceBytes,
            threads: configuration.threads,
            phases: phases,
            errors: errors,
            errorCount: final.errors.total,
            completed: phases.first?.operations ?? 0,
            notStarted: notStarted,
            ok: final.errors.total == 0 && notStarted == 0 && (phases.first?.operations ?? 0) == configuration.clients,
            durationSeconds: LoadClock.seconds(from: runStart, to: runEnd),
            generatorCPUSeconds: ProcessUsage.selfCPUSeconds() - generatorStart,
            generatorPeakRSSKib: ProcessUsage.selfPeakRSSKiB(),
            server: server,
            engine: self.usesRawEngine ? "raw" : "nio",
            streamManagementAcks: configuration.streamManagement ? final.acksSent : nil
        )
    }

    private var usesRawEngine: Bool {
        self.configuration.engine == .raw
            || (self.configuration.engine == .auto && self.configuration.transport == .tcp)
    }

    private var roomCount: Int {
        let size = self.configuration.effectiveRoomSize
        return (self.configuration.clients + size - 1) / size
    }

    // MARK: - Polling

    private func snapshot(_ workers: [LoopBound<LoadWorker>], latencies: Bool = false) throws -> WorkerSnapshot {
        var merged = WorkerSnapshot()
        for worker in workers {
            merged.merge(try worker.loop.submitAndWait { worker.value.snapshot(latencies: latencies) })
        }
        return merged
    }

    /// Polls until `done` or the deadline, printing a progress line every second.
    private func poll(
        _ workers: [LoopBound<LoadWorker>],
        monitor: inout ServerMonitor,
        timeline: inout UsageTimeline,
        deadline: UInt64,
        phase: String,
        start: UInt64,
        done: (WorkerSnapshot) -> Bool
    ) throws -> WorkerSnapshot {
        timeline.trim(keepingLast: 1)
        var nextProgress = start + 1_000_000_000
        var nextSample = LoadClock.now()
        while true {
            let snapshot = try self.snapshot(workers)
            let now = timeline.sample().at
            if done(snapshot) || now >= deadline { return snapshot }
            if now >= nextSample {
                monitor.sample()
                nextSample = now + self.rssInterval
            }
            if now >= nextProgress, let progress = self.progress {
                nextProgress = now + 1_000_000_000
                // Histograms only here, once a second: the percentiles so far.
                let full = try self.snapshot(workers, latencies: true)
                progress(
                    ProgressLine.render(
                        phase: phase,
                        snapshot: full,
                        start: start,
                        now: now,
                        total: self.configuration.clients
                    )
                )
            }
            usleep(self.pollInterval)
        }
    }

    /// The generator's and the server's CPU seconds between a phase's first sample and its end.
    private static func usage(
        _ timeline: UsageTimeline,
        from start: UsageTimeline.Sample,
        to end: UInt64
    ) -> PhaseUsage {
        let finish = timeline.value(at: end)
        func difference(_ a: Double?, _ b: Double?) -> Double? {
            guard let a, let b else { return nil }
            return b - a
        }
        return PhaseUsage(
            generator: (finish.user - start.user, finish.system - start.system),
            server: difference(start.server, finish.server),
            serverUser: difference(start.serverUser, finish.serverUser),
            serverSystem: difference(start.serverSystem, finish.serverSystem)
        )
    }

    private struct PhaseUsage {
        var generator: (user: Double, system: Double)
        var server: Double?
        var serverUser: Double?
        var serverSystem: Double?
    }

    private func shutdown(_ workers: [LoopBound<LoadWorker>]) {
        for worker in workers {
            _ = try? worker.loop.submitAndWait { worker.value.abortAll() }
        }
        // Let the closes run through the loops.
        usleep(100_000)
    }

    private func phase(
        name: String,
        operations: Int,
        failed: Int,
        start: UInt64,
        end: UInt64,
        usage: PhaseUsage,
        latency: LatencyRecorder,
        session: LatencyRecorder?,
        login: LatencyRecorder?,
        deliveries: Int?,
        expected: Int?
    ) -> LoadReport.Phase {
        let seconds = LoadClock.seconds(from: start, to: end)
        let generatorCPU = usage.generator
        let serverCPU = usage.server
        func perOperation(_ cpu: Double) -> Double { operations > 0 ? cpu * 1e6 / Double(operations) : 0 }
        func serverPerOperation(_ cpu: Double?) -> Double? {
            guard let cpu, operations > 0 else { return nil }
            return cpu * 1e6 / Double(operations)
        }
        return LoadReport.Phase(
            name: name,
            operations: operations,
            failed: max(0, failed),
            seconds: seconds,
            rate: seconds > 0 ? Double(operations) / seconds : 0,
            latency: latency.summary,
            sessionLatency: session?.summary,
            loginLatency: login?.summary,
            generatorCPUSeconds: generatorCPU.user + generatorCPU.system,
            generatorMicrosecondsPerOperation: perOperation(generatorCPU.user + generatorCPU.system),
            generatorUserMicrosecondsPerOperation: perOperation(generatorCPU.user),
            generatorSystemMicrosecondsPerOperation: perOperation(generatorCPU.system),
            serverCPUSeconds: serverCPU,
            serverUserCPUSeconds: usage.serverUser,
            serverSystemCPUSeconds: usage.serverSystem,
            serverUserMicrosecondsPerOperation: serverPerOperation(usage.serverUser),
            serverSystemMicrosecondsPerOperation: serverPerOperation(usage.serverSystem),
            operationsPerServerCPUSecond: serverCPU.flatMap { $0 > 0 ? Double(operations) / $0 : nil },
            deliveries: deliveries,
            expectedDeliveries: expected,
            deliveriesPerServerCPUSecond: deliveries.flatMap { count in
                serverCPU.flatMap { $0 > 0 ? Double(count) / $0 : nil }
            },
            deliveriesPerSecond: deliveries.flatMap { seconds > 0 ? Double($0) / seconds : nil }
        )
    }
}
