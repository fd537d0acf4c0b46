/// One worker's counters and histograms at a moment; the runner merges them into the run's figures.
public struct WorkerSnapshot: Sendable {
    /// Clients started (connect attempted).
    public var started = 0
    /// Connections currently open.
    public var openConnections = 0
    public var loggedIn = 0
    /// Clients whose first-phase operation (login or join) completed.
    public var completed = 0
    public var failed = 0
    public var errors = ErrorCounts()
    /// The latency histograms; nil in the light snapshots the runner polls with (copying and merging histograms
    /// every 20 ms would cost the generator more than its clients do).
    public var latencies: Latencies?
    /// Available presences received by joined clients (all rounds, own echoes included).
    public var presences = 0
    public var updatesSent = 0
    public var updatesEchoed = 0
    /// Presences the fan-out phase still waits for, over this worker's clients.
    public var presencesMissing = 0
    /// Presences the joins alone deliver to the joined clients (one per occupant of each one's room): fanout
    /// deliveries are the presences beyond these.
    public var joinPresences = 0
    /// Uptime nanoseconds of the latest successful completion (failures, timeouts above all, do not stretch a
    /// phase), and of the latest update echo.
    public var lastCompletionAt: UInt64 = 0
    public var lastEchoAt: UInt64 = 0
    public var focusReady = false
    public var focusAnswered = 0
    /// XEP-0198 `<a/>` answers sent (`--stream-management`).
    public var acksSent = 0

    public init() {}

    public mutating func merge(_ other: WorkerSnapshot) {
        self.started += other.started
        self.openConnections += other.openConnections
        self.loggedIn += other.loggedIn
        self.completed += other.completed
        self.failed += other.failed
        self.errors.merge(other.errors)
        if let theirs = other.latencies {
            if var mine = self.latencies {
                mine.merge(theirs)
                self.latencies = mine
            } else {
                self.latencies = theirs
            }
        }
        self.presences += other.presences
        self.updatesSent += other.updatesSent
        self.updatesEchoed += other.updatesEchoed
        self.presencesMissing += other.presencesMissing
        self.joinPresences += other.joinPresences
        self.lastCompletionAt = max(self.lastCompletionAt, other.lastCompletionAt)
        self.lastEchoAt = max(self.lastEchoAt, other.lastEchoAt)
        self.focusReady = self.focusReady || other.focusReady
        self.focusAnswered += other.focusAnswered
        self.acksSent += other.acksSent
    }

    /// Latencies of one worker, or merged.
    public struct Latencies: Sendable {
        /// The first-phase operation: connect → bind (login), join presence → self-presence (join, fill, fanout,
        /// idle), conference IQ → self-presence (jitsi).
        public var operation = LatencyRecorder()
        /// Connect → bind result.
        public var login = LatencyRecorder()
        /// The client's (intended) start → operation completed: what a user waits, queueing in the generator
        /// included.
        public var session = LatencyRecorder()
        /// Presence update sent → its echo (fanout).
        public var update = LatencyRecorder()

        public init() {}

        public mutating func merge(_ other: Latencies) {
            self.operation.merge(other.operation)
            self.login.merge(other.login)
            self.session.merge(other.session)
            self.update.merge(other.update)
        }
    }

    /// Clients done with the first phase, one way or the other.
    public var finished: Int { self.completed + self.failed }
}
