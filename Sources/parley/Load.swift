import ArgumentParser
import Foundation
import ParleyLoad

/// `parley load`: the load generator (Docs/Load.md). Thin: options → `LoadConfiguration` → `LoadRunner` → report.
struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load-test an XMPP server (Parley, Prosody, ejabberd…): logins, room joins, presence fan-out.",
        discussion: """
            Scenarios: \(LoadScenario.allCases.map { "\n  \($0.rawValue): \($0.summary)" }.joined())
            Every run is bounded by --clients and --duration and stops by itself; it connects only to --host:--port.
            Passwords may also come from PARLEY_LOAD_PASSWORD and PARLEY_LOAD_FOCUS_PASSWORD.
            """
    )

    @Argument(help: "login, join, fill, fanout, idle or jitsi.")
    var scenario: String

    @Option(help: "tcp, starttls, websocket or bosh.")
    var transport: String = "tcp"

    @Option(help: "The server's address; nothing else is contacted.")
    var host: String = "127.0.0.1"

    @Option(help: "The server's port (default 5222 for tcp/starttls, 5280 for websocket/bosh).")
    var port: Int?

    @Option(help: "HTTP path for websocket (/xmpp-websocket) or bosh (/http-bind).")
    var path: String?

    @Flag(help: "websocket, bosh: add room=<the client's room> to each client's URL, as lib-jitsi-meet does.")
    var roomQuery = false

    @Option(help: "The XMPP host clients log in to.")
    var domain: String = "meet.jitsi"

    @Option(help: "The MUC service of the rooms.")
    var muc: String = "muc.meet.jitsi"

    @Option(help: "Hard limit: clients in the run (1 to \(LoadConfiguration.maxClients)).")
    var clients: Int = 100

    @Option(help: "Hard limit: seconds the run may last, teardown excluded (at most 3600).")
    var duration: Double = 60

    @Option(help: "Open loop: clients started per second, whatever the server does.")
    var rate: Double?

    @Option(help: "Closed loop: clients between start and join at a time (default 50).")
    var concurrency: Int?

    @Option(help: "Seconds over which the rate or concurrency ramps up from zero.")
    var ramp: Double = 0

    @Option(name: .customLong("room-size"), help: "Occupants per room (join, fanout, idle, jitsi).")
    var roomSize: Int = 10

    @Option(help: "Presence updates per occupant (fanout).")
    var updates: Int = 10

    @Option(help: "Seconds the joined sessions are held (idle).")
    var hold: Double = 10

    @Option(
        help: "Presence: minimal (~110 B), jitsi (a browser's, ~0.7 KB: the Jitsi fixtures) or jitsi-large (~1.5 KB)."
    )
    var presence: String = "minimal"

    @Option(help: "anonymous, or plain (accounts <username-prefix><n> with --password).")
    var sasl: String = "anonymous"

    @Option(name: .customLong("username-prefix"), help: "PLAIN usernames: <prefix><client number>.")
    var usernamePrefix: String = "load"

    @Option(help: "PLAIN password of every client account.")
    var password: String?

    @Option(help: "jitsi: where the conference IQ goes (default focus.<domain>; a focus full JID works too).")
    var focus: String?

    @Option(name: .customLong("focus-jid"), help: "jitsi: log in as this focus account and answer conference IQs.")
    var focusJID: String?

    @Option(name: .customLong("focus-password"), help: "jitsi: the focus account's password.")
    var focusPassword: String?

    @Option(name: .customLong("server-pid"), help: "Measure this server process (CPU time, RSS).")
    var serverPID: Int32?

    @Option(help: "Event-loop threads of the generator.")
    var threads: Int = 1

    @Option(help: "auto (raw for tcp, nio otherwise), raw (own epoll loop, tcp only) or nio.")
    var engine: String = "auto"

    @Flag(
        name: .customLong("stream-management"),
        help: "XEP-0198: participants enable stream management after bind (as Jitsi's web client) and answer <r/>."
    )
    var streamManagement = false

    @Option(help: "Seconds a client may take to log in and join before it counts as a timeout (default 30).")
    var timeout: Double?

    @Option(name: .customLong("room-prefix"), help: "Room names are <prefix><n> (default: random per run).")
    var roomPrefix: String?

    @Option(help: "Seconds to wait after the clients leave before the server's RSS is read.")
    var settle: Double = 0

    @Option(help: "Seconds without a presence arriving that end the wait for the fan-out's (or the joins') presences.")
    var stall: Double = 2

    @Flag(help: "Print the report as JSON (snake_case keys) instead of a table.")
    var json = false

    @Flag(name: .customLong("no-progress"), help: "No live progress line, even on a terminal.")
    var noProgress = false

    func makeConfiguration() throws -> LoadConfiguration {
        guard let scenario = LoadScenario(rawValue: self.scenario) else {
            throw ValidationError(
                "unknown scenario '\(self.scenario)': \(LoadScenario.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard let transport = LoadTransport(rawValue: self.transport) else {
            throw ValidationError("--transport must be tcp, starttls, websocket or bosh")
        }
        guard let presence = PresenceProfile(rawValue: self.presence) else {
            throw ValidationError("--presence must be minimal, jitsi or jitsi-large")
        }
        guard let sasl = LoadSASL(rawValue: self.sasl) else {
            throw ValidationError("--sasl must be anonymous or plain")
        }
        guard let engine = LoadEngine(rawValue: self.engine) else {
            throw ValidationError("--engine must be auto, raw or nio")
        }
        if self.rate != nil && self.concurrency != nil {
            throw ValidationError("--rate (open loop) and --concurrency (closed loop) exclude each other")
        }
        let environment = ProcessInfo.processInfo.environment
        var configuration = LoadConfiguration(scenario: scenario, transport: transport)
        configuration.host = self.host
        if let port = self.port { configuration.port = port }
        if let path = self.path { configuration.path = path }
        configuration.roomQuery = self.roomQuery
        configuration.domain = self.domain
        configuration.mucDomain = self.muc
        configuration.clients = self.clients
        configuration.duration = self.duration
        if let rate = self.rate {
            configuration.driver = .rate(rate)
        } else {
            configuration.driver = .concurrency(self.concurrency ?? 50)
        }
        configuration.ramp = self.ramp
        configuration.roomSize = self.roomSize
        configuration.updates = self.updates
        configuration.hold = self.hold
        configuration.presence = presence
        configuration.sasl = sasl
        configuration.usernamePrefix = self.usernamePrefix
        configuration.password = self.password ?? environment["PARLEY_LOAD_PASSWORD"] ?? ""
        configuration.focusAddress = self.focus
        configuration.focusJID = self.focusJID
        configuration.focusPassword = self.focusPassword ?? environment["PARLEY_LOAD_FOCUS_PASSWORD"] ?? ""
        configuration.serverPID = self.serverPID
        configuration.threads = self.threads
        configuration.engine = engine
        configuration.streamManagement = self.streamManagement
        configuration.clientTimeout = self.timeout ?? min(30, self.duration)
        if let prefix = self.roomPrefix { configuration.roomPrefix = prefix }
        configuration.settle = self.settle
        configuration.stall = self.stall
        try configuration.validate()
        return configuration
    }

    func validate() throws {
        do {
            _ = try self.makeConfiguration()
        } catch let error as LoadConfigurationError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let configuration = try self.makeConfiguration()
        let showProgress = !self.noProgress && isatty(STDERR_FILENO) == 1
        var printedProgress = false
        let runner = LoadRunner(configuration: configuration) { line in
            guard showProgress else { return }
            printedProgress = true
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        }
        let report = try runner.run()
        if printedProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        if self.json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report))
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            print(report.table())
        }
        if !report.ok { throw ExitCode(1) }
    }
}
