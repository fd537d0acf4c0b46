/// Everything a run needs, checked by `validate()` before anything connects.
///
/// Every run is bounded: `clients` is a hard limit on connections and `duration` on wall time (the run stops by
/// itself, clients included, at the deadline). The generator connects only to `host`:`port`.
public struct LoadConfiguration: Sendable {
    /// The largest `clients` accepted.
    public static let maxClients = 200_000
    /// The longest `duration` accepted, in seconds.
    public static let maxDuration = 3600.0
    /// The most event-loop threads.
    public static let maxThreads = 64

    public var scenario: LoadScenario
    public var transport: LoadTransport
    /// The server's address (an IP address or a name resolved once); nothing else is contacted.
    public var host: String = "127.0.0.1"
    public var port: Int
    /// HTTP path for WebSocket and BOSH.
    public var path: String
    /// The XMPP host clients log in to (`to` of the stream).
    public var domain: String = "meet.jitsi"
    /// The MUC service rooms live on.
    public var mucDomain: String = "muc.meet.jitsi"
    /// Hard limit on clients (connections, or BOSH sessions) in the run.
    public var clients: Int = 100
    /// Hard limit on the run's wall time, in seconds.
    public var duration: Double = 60
    /// Open loop (starts per second) or closed loop (clients in flight).
    public var driver: RateScheduler.Mode = .concurrency(50)
    /// Seconds over which the rate or concurrency ramps up.
    public var ramp: Double = 0
    /// Occupants per room (join, fanout, idle, jitsi); `fill` uses one room of all clients.
    public var roomSize: Int = 10
    /// Presence updates per occupant (fanout).
    public var updates: Int = 10
    /// Seconds the joined sessions are held (idle).
    public var hold: Double = 10
    public var presence: PresenceProfile = .minimal
    public var sasl: LoadSASL = .anonymous
    /// PLAIN usernames are `<usernamePrefix><client number>`.
    public var usernamePrefix: String = "load"
    public var password: String = ""
    /// Where the Jitsi conference IQ goes: a client_proxy address (`focus.meet.jitsi`) or the focus's full JID.
    public var focusAddress: String?
    /// The focus account the generator logs in as to answer conference IQs (jitsi); nil when a real focus runs.
    public var focusJID: String?
    public var focusPassword: String = ""
    /// The server process to measure (CPU time, RSS).
    public var serverPID: Int32?
    /// Event-loop threads of the generator.
    public var threads: Int = 1
    /// Which event loops run the clients.
    public var engine: LoadEngine = .auto
    /// XEP-0198: participants enable stream management (with resumption) after bind and answer `<r/>`.
    public var streamManagement = false
    /// Seconds a client may take from its start to its join before it counts as `timeout:<stage>`.
    public var clientTimeout: Double = 30
    /// Room names are `<roomPrefix><n>`; the default is random per run so runs never share rooms.
    public var roomPrefix: String
    /// WebSocket and BOSH: each client's URL carries `room=<its room>`, as lib-jitsi-meet's does, so a proxy that
    /// pins rooms to shards (HAProxy on `url_param(room)`) sends a room's clients to one server.
    public var roomQuery = false
    /// Seconds to wait after the clients leave before the server's RSS is read again.
    public var settle: Double = 0
    /// Waiting for presences (the last joins' broadcasts, the fan-out's deliveries) ends when none has arrived for
    /// this many seconds: a server that pauses longer (a busy single-threaded one with a big room) needs more.
    public var stall: Double = 2

    public init(scenario: LoadScenario, transport: LoadTransport = .tcp) {
        self.scenario = scenario
        self.transport = transport
        self.port = transport.defaultPort
        self.path = transport.defaultPath ?? "/"
        self.roomPrefix = "load" + String(UInt32.random(in: 0x1000_0000...0xffff_ffff), radix: 36)
    }

    /// The number of rooms and the occupants of room `room`.
    public var effectiveRoomSize: Int { self.scenario == .fill ? self.clients : self.roomSize }

    public func occupants(ofRoom room: Int) -> Int {
        let size = self.effectiveRoomSize
        return min(size, self.clients - room * size)
    }

    /// The HTTP path client `room`'s WebSocket or BOSH requests use: `path`, with `room=<room name>` added when
    /// `roomQuery` is set.
    public func path(forRoom room: Int) -> String {
        guard self.roomQuery else { return self.path }
        let separator = self.path.contains("?") ? "&" : "?"
        return "\(self.path)\(separator)room=\(self.roomPrefix)\(room)"
    }

    /// The address the conference IQ goes to.
    public var resolvedFocusAddress: String { self.focusAddress ?? "focus." + self.domain }

    /// Every problem with the configuration, as one error; nothing when it can run.
    public func validate() throws {
        var problems: [String] = []
        if self.clients < 1 || self.clients > Self.maxClients {
            problems.append("--clients must be 1 to \(Self.maxClients) (got \(self.clients))")
        }
        if !(self.duration > 0 && self.duration <= Self.maxDuration) {
            problems.append("--duration must be more than 0 and at most \(Int(Self.maxDuration)) seconds")
        }
        switch self.driver {
        case .rate(let rate):
            if !(rate > 0 && rate <= 1_000_000) { problems.append("--rate must be more than 0 and at most 1000000") }
        case .concurrency(let limit):
            if limit < 1 || limit > Self.maxClients {
                problems.append("--concurrency must be 1 to \(Self.maxClients)")
            }
        }
        if !(self.ramp >= 0 && self.ramp < self.duration) {
            problems.append("--ramp must be at least 0 and shorter than --duration")
        }
        if self.threads < 1 || self.threads > Self.maxThreads {
            problems.append("--threads must be 1 to \(Self.maxThreads)")
        }
        if self.engine == .raw && self.transport != .tcp {
            problems.append("--engine raw runs plain TCP only; use nio (or auto) for \(self.transport.rawValue)")
        }
        if self.streamManagement && self.transport == .bosh {
            problems.append("--stream-management is for streams (tcp, starttls, websocket); BOSH has its own acks")
        }
        if !(1...65535).contains(self.port) { problems.append("--port must be 1 to 65535") }
        if self.host.isEmpty { problems.append("--host must not be empty") }
        if self.roomQuery && self.transport.defaultPath == nil {
            problems.append("--room-query is for websocket and bosh, whose URLs carry the room")
        }
        if self.transport.defaultPath != nil && !self.path.hasPrefix("/") {
            problems.append("--path must start with /")
        }
        if self.scenario.joinsRoom && self.scenario != .fill && self.roomSize < 1 {
            problems.append("--room-size must be at least 1")
        }
        if self.scenario == .fanout && !(1...100_000).contains(self.updates) {
            problems.append("--updates must be 1 to 100000")
        }
        if self.scenario == .idle && !(self.hold >= 0 && self.hold < self.duration) {
            problems.append("--hold must be at least 0 and shorter than --duration")
        }
        if !(self.clientTimeout > 0 && self.clientTimeout <= self.duration) {
            problems.append("--timeout must be more than 0 and at most --duration")
        }
        if !(self.settle >= 0 && self.settle < self.duration) {
            problems.append("--settle must be at least 0 and shorter than --duration")
        }
        if !(self.stall > 0 && self.stall < self.duration) {
            problems.append("--stall must be more than 0 and shorter than --duration")
        }
        if self.sasl == .plain && self.password.isEmpty {
            problems.append("--sasl plain needs --password (the accounts <prefix><n> must exist)")
        }
        if self.scenario == .jitsi, let focus = self.focusJID {
            if !focus.contains("@") || focus.contains("/") {
                problems.append("--focus-jid must be a bare JID such as focus@auth.meet.jitsi")
            }
            if self.focusPassword.isEmpty { problems.append("--focus-jid needs --focus-password") }
        }
        if self.focusJID != nil && self.scenario != .jitsi {
            problems.append("--focus-jid is for the jitsi scenario")
        }
        for (name, value) in [("--domain", self.domain), ("--muc", self.mucDomain), ("--room-prefix", self.roomPrefix)]
        where !Self.isSafeJIDPart(value) {
            problems.append("\(name) must be non-empty lowercase letters, digits, '.', '-' or '_'")
        }
        if !problems.isEmpty { throw LoadConfigurationError(problems: problems) }
    }

    /// Names are written into templates unescaped, so they must need no escaping and no JID preparation.
    static func isSafeJIDPart(_ value: String) -> Bool {
        !value.isEmpty
            && value.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }
}
