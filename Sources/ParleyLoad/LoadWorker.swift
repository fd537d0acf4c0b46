import NIOCore

/// The clients of one event loop and their bookkeeping. Everything here runs on that loop; the runner talks to it
/// with `execute`/`submit` and reads its figures as a `WorkerSnapshot`.
///
/// A run of W workers deals client numbers round-robin (worker w gets w, w+W, …) and gives each worker 1/W of the
/// rate or of the concurrency, so every worker is an independent, smaller generator.
final class LoadWorker {
    let id: Int
    let workerCount: Int
    let loop: any LoadEventLoop
    let configuration: LoadConfiguration
    let templates: StanzaTemplates
    private let connector: any ClientConnecting
    private var stats = WorkerSnapshot()
    /// The fan-out's updates, sent by this worker's clients and received by them (`DeliveryTracker`).
    private(set) var deliveries: DeliveryTracker
    private var latencies = WorkerSnapshot.Latencies()
    private let scheduler: RateScheduler
    private var phaseStart: UInt64 = 0
    private var localStarted = 0
    private var inFlight = 0
    private var startingEnabled = false
    /// Every client whose connection may be open.
    private var clients: [ObjectIdentifier: LoadClient] = [:]
    /// Clients between start and completion, for the timeout sweep.
    private var pending: [ObjectIdentifier: LoadClient] = [:]
    private var tickScheduled = false
    private var sweepScheduled = false
    private var stopped = false
    private(set) var focus: LoadClient?

    init(
        id: Int,
        workerCount: Int,
        loop: any LoadEventLoop,
        connector: any ClientConnecting,
        configuration: LoadConfiguration,
        templates: StanzaTemplates
    ) {
        self.id = id
        self.workerCount = workerCount
        self.loop = loop
        self.configuration = configuration
        self.templates = templates
        self.connector = connector
        // clients ≤ 200,000 and updates ≤ 100,000 (LoadConfiguration.validate): the product fits an Int.
        self.deliveries = DeliveryTracker(
            updates: configuration.scenario == .fanout ? configuration.clients * configuration.updates : 0
        )
        let whole = RateScheduler(mode: configuration.driver, ramp: configuration.ramp, total: configuration.clients)
        self.scheduler = whole.share(worker: id, of: workerCount)
    }

    // MARK: - Runner commands

    /// Logs the emulated focus in (jitsi scenario, worker 0).
    func startFocus() {
        let client = LoadClient(
            index: -1,
            room: 0,
            roomOccupants: 0,
            worker: self,
            templates: self.templates,
            transport: self.configuration.transport,
            focus: FocusState()
        )
        client.startedAt = LoadClock.now()
        client.deadline = .max
        self.focus = client
        self.clients[ObjectIdentifier(client)] = client
        self.connector.connect(client)
    }

    /// Starts clients from now on, as the scheduler allows.
    func beginJoinPhase(at start: UInt64) {
        self.phaseStart = start
        self.startingEnabled = true
        self.startDue()
        self.scheduleTick()
        self.scheduleSweep()
    }

    /// Every joined client starts its presence updates (fanout).
    func beginUpdates() {
        for client in self.clients.values where client.focus == nil && client.stage == .joined {
            client.updatesWanted = self.configuration.updates
            client.sendUpdate()
        }
    }

    /// Ends every session politely; the runner aborts what is left after a grace period.
    func closeAll() {
        self.startingEnabled = false
        for client in self.clients.values { client.close() }
    }

    func abortAll() {
        self.startingEnabled = false
        self.stopped = true
        for client in self.clients.values {
            if client.isActive { client.stage = .closing }
            client.link?.abort()
        }
    }

    func snapshot(latencies: Bool) -> WorkerSnapshot {
        var snapshot = self.stats
        if latencies { snapshot.latencies = self.latencies }
        if self.configuration.scenario == .fanout {
            var missing = 0
            var joinPresences = 0
            let rounds = self.configuration.updates + 1
            for client in self.clients.values where client.focus == nil && client.stage == .joined {
                joinPresences += client.roomOccupants
                missing += max(0, client.roomOccupants * rounds - client.presences)
                missing += max(0, client.updatesWanted - client.updatesEchoed)
            }
            snapshot.presencesMissing = missing
            snapshot.joinPresences = joinPresences
        }
        snapshot.focusAnswered = self.focus?.focus?.answered ?? 0
        return snapshot
    }

    // MARK: - Starting clients

    private func startDue() {
        guard self.startingEnabled, !self.stopped else { return }
        let elapsed = LoadClock.seconds(from: self.phaseStart, to: LoadClock.now())
        let due = self.scheduler.startsDue(at: elapsed)
        let allowed = self.scheduler.allowedInFlight(at: elapsed)
        while self.localStarted < due && self.inFlight < allowed {
            self.startClient(local: self.localStarted)
            self.localStarted += 1
        }
    }

    private func startClient(local: Int) {
        let index = self.id + local * self.workerCount
        let roomSize = self.configuration.effectiveRoomSize
        let room = index / roomSize
        let client = LoadClient(
            index: index,
            room: room,
            roomOccupants: self.configuration.occupants(ofRoom: room),
            worker: self,
            templates: self.templates,
            transport: self.configuration.transport
        )
        client.updatesTracked = self.configuration.scenario == .fanout
        let now = LoadClock.now()
        if case .rate = self.scheduler.mode {
            let due = self.phaseStart + UInt64(self.scheduler.dueTime(ofStart: local) * 1e9)
            client.startedAt = min(due, now)
        } else {
            client.startedAt = now
        }
        client.connectStartedAt = now
        client.deadline = now + UInt64(self.configuration.clientTimeout * 1e9)
        let key = ObjectIdentifier(client)
        self.clients[key] = client
        self.pending[key] = client
        self.stats.started += 1
        self.inFlight += 1
        self.connector.connect(client)
    }

    private func scheduleTick() {
        guard !self.tickScheduled, !self.stopped, self.startingEnabled, self.localStarted < self.scheduler.total else {
            return
        }
        self.tickScheduled = true
        // Open loop: 1 ms between batches of starts. Closed loop: completions start clients; the tick only
        // follows the concurrency ramp.
        let interval: UInt64
        if case .rate = self.scheduler.mode { interval = 1_000_000 } else { interval = 10_000_000 }
        self.loop.schedule(afterNanoseconds: interval) {
            self.tickScheduled = false
            self.startDue()
            self.scheduleTick()
        }
    }

    private func scheduleSweep() {
        guard !self.sweepScheduled, !self.stopped else { return }
        self.sweepScheduled = true
        self.loop.schedule(afterNanoseconds: 100_000_000) {
            self.sweepScheduled = false
            let now = LoadClock.now()
            for client in self.pending.values where client.deadline < now {
                client.fail("timeout:" + client.stageName)
            }
            if !self.pending.isEmpty || self.localStarted < self.scheduler.total { self.scheduleSweep() }
        }
    }

    // MARK: - Client callbacks

    func clientConnected(_ client: LoadClient) {
        client.connectionCounted = true
        self.stats.openConnections += 1
    }

    func clientDisconnected(_ client: LoadClient) {
        self.stats.openConnections -= 1
        let key = ObjectIdentifier(client)
        self.clients.removeValue(forKey: key)
    }

    func clientLoggedIn(_ client: LoadClient) {
        guard client.focus == nil else { return }
        self.stats.loggedIn += 1
        self.latencies.login.record(nanoseconds: Int64(LoadClock.now() &- client.connectStartedAt))
    }

    /// The login scenario's operation is done: the client leaves at once.
    func clientCompleted(_ client: LoadClient) {
        let now = LoadClock.now()
        self.latencies.operation.record(nanoseconds: Int64(now &- client.connectStartedAt))
        self.complete(client, at: now)
        client.close()
    }

    func clientJoined(_ client: LoadClient) {
        let now = LoadClock.now()
        let sent = self.configuration.scenario == .jitsi ? client.conferenceSentAt : client.joinSentAt
        self.latencies.operation.record(nanoseconds: Int64(now &- sent))
        self.complete(client, at: now)
    }

    private func complete(_ client: LoadClient, at now: UInt64) {
        guard !client.completed else { return }
        client.completed = true
        self.pending.removeValue(forKey: ObjectIdentifier(client))
        self.stats.completed += 1
        self.inFlight -= 1
        self.latencies.session.record(nanoseconds: Int64(now &- client.startedAt))
        self.stats.lastCompletionAt = now
        self.startDue()
    }

    func clientFailed(_ client: LoadClient, condition: String) {
        self.stats.errors.record(condition)
        if client.focus != nil {
            self.stats.focusReady = false
            return
        }
        guard !client.completed else { return }
        client.completed = true
        self.pending.removeValue(forKey: ObjectIdentifier(client))
        self.stats.failed += 1
        self.inFlight -= 1
        self.startDue()
    }

    @inline(__always)
    func presenceReceived() {
        self.stats.presences += 1
    }

    func clientEchoed(_ client: LoadClient) {
        let now = LoadClock.now()
        self.stats.updatesEchoed += 1
        self.latencies.update.record(nanoseconds: Int64(now &- client.updateSentAt))
        self.stats.lastEchoAt = now
    }

    func clientSentUpdate(tag: Int, at time: UInt64) {
        self.stats.updatesSent += 1
        self.deliveries.sent(tag, at: time)
    }

    /// A client received the fan-out update `tag` (its own echo included).
    func updateReceived(tag: Int) {
        self.deliveries.received(tag, at: LoadClock.now())
    }

    /// A client answered the server's XEP-0198 `<r/>`.
    func clientAcknowledged() {
        self.stats.acksSent += 1
    }

    func retryConference(_ client: LoadClient) {
        self.loop.schedule(afterNanoseconds: 100_000_000) {
            client.sendConferenceRequest()
        }
    }

    func focusReady(_ client: LoadClient) {
        self.stats.focusReady = true
    }

    func focusFailed(condition: String) {
        self.stats.errors.record("focus:" + condition)
    }
}
