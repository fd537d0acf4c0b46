/// What a run measured: one entry per phase, the errors by condition, and both sides' CPU and memory.
/// `parley load` prints it as a table, or as JSON with `--json` (keys in snake_case).
public struct LoadReport: Codable, Sendable {
    /// One measured phase: `login`, `join` (also fill, idle, jitsi) or `fanout` (the presence updates).
    public struct Phase: Codable, Sendable {
        public var name: String
        /// Operations completed: logins or joins; for fanout, updates echoed back to their sender.
        public var operations: Int
        public var failed: Int
        /// Seconds from the phase's start to its last completion.
        public var seconds: Double
        /// Operations per second of wall time.
        public var rate: Double
        /// The operation's latency (login: connect → bind; join: presence → self-presence; jitsi: conference IQ →
        /// self-presence; fanout: update → its echo).
        public var latency: LatencySummary
        /// Start → completion for each client, its scheduled start in the open loop (queueing included).
        public var sessionLatency: LatencySummary?
        /// Connect → bind, for phases whose operation is a join.
        public var loginLatency: LatencySummary?
        public var generatorCPUSeconds: Double
        public var generatorMicrosecondsPerOperation: Double
        /// The user-space part (the generator's own code) and the kernel part of it.
        public var generatorUserMicrosecondsPerOperation: Double
        public var generatorSystemMicrosecondsPerOperation: Double
        public var serverCPUSeconds: Double?
        /// The server's user and system (kernel) CPU seconds apart, from `/proc/<pid>/stat` (10 ms ticks), and per
        /// operation in microseconds.
        public var serverUserCPUSeconds: Double? = nil
        public var serverSystemCPUSeconds: Double? = nil
        public var serverUserMicrosecondsPerOperation: Double? = nil
        public var serverSystemMicrosecondsPerOperation: Double? = nil
        public var operationsPerServerCPUSecond: Double?
        /// Presences received by the clients in this phase (fanout: the update deliveries counted).
        public var deliveries: Int?
        public var expectedDeliveries: Int?
        public var deliveriesPerServerCPUSecond: Double?
        public var deliveriesPerSecond: Double?
        /// Fanout (`DeliveryTracker`): update sent → its last delivery (the slowest of its room's receivers, the
        /// sender's echo included), over the updates every receiver got.
        public var lastDeliveryLatency: LatencySummary? = nil
        /// Updates sent and tracked; of them, those every receiver got once, those some receiver missed, and those
        /// received more often than there are receivers.
        public var updatesTracked: Int? = nil
        public var updatesComplete: Int? = nil
        public var updatesIncomplete: Int? = nil
        public var updatesDuplicated: Int? = nil
        /// Receipts of the tracked updates, and how many there should be (each update × its room's occupants).
        public var trackedDeliveries: Int? = nil
        public var trackedExpectedDeliveries: Int? = nil
        /// Receipts carrying a tag outside the tracked range.
        public var untrackedDeliveries: Int? = nil
    }

    /// The server process measured with `--server-pid`.
    public struct Server: Codable, Sendable {
        public var pid: Int32
        /// CPU seconds over the whole run, teardown included.
        public var cpuSeconds: Double
        public var rssBeforeKib: Int
        /// The highest RSS sampled (every 100 ms) during the run.
        public var rssPeakKib: Int
        /// RSS with every client joined (after the hold, for idle).
        public var rssJoinedKib: Int
        /// RSS after the clients left (and `--settle` seconds).
        public var rssAfterKib: Int
        /// (rssJoined − rssBefore) / sessions held, in bytes: memory per joined session.
        public var bytesPerSession: Double?
    }

    public var scenario: String
    public var transport: String
    public var target: String
    public var domain: String
    public var muc: String
    /// `open` (rate) or `closed` (concurrency).
    public var driver: String
    public var rate: Double?
    public var concurrency: Int?
    public var ramp: Double
    public var clients: Int
    public var roomSize: Int
    public var updates: Int?
    public var holdSeconds: Double?
    public var presence: String
    public var presenceBytes: Int
    public var threads: Int
    public var phases: [Phase]
    /// Errors by condition (`stanza:service-unavailable`, `timeout:join`…).
    public var errors: [String: Int]
    public var errorCount: Int
    /// Clients that completed the first phase (logged in, or joined).
    public var completed: Int
    /// Clients never started because the time limit came first.
    public var notStarted: Int
    /// Every client completed and nothing failed.
    public var ok: Bool
    public var durationSeconds: Double
    public var generatorCPUSeconds: Double
    public var generatorPeakRSSKib: Int
    public var server: Server?
    /// The generator's engine in this run: `raw` (its own epoll loop) or `nio`.
    public var engine: String? = nil
    /// With `--stream-management`: the XEP-0198 `<a/>` answers the clients sent to the server's `<r/>`.
    public var streamManagementAcks: Int? = nil
}
