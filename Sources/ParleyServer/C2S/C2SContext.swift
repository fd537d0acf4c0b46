import Logging
import NIOCore
import NIOPosix
import ParleyCore
import ParleyTLS
import ParleyTransports

/// What every c2s connection shares: the router and the per-connection settings. Immutable.
final class C2SContext: Sendable {
    struct Settings: Sendable {
        var hosts: [String: HostConfiguration]
        var requireEncryption: Bool
        var allowPlaintextLoopback: Bool
        var maxStanzaBytes: Int
        var unlimitedMaxStanzaBytes: Int
        var unlimitedJIDs: Set<JID>
        var maxDepth: Int
        var negotiationTimeout: TimeAmount
        var logAddresses: Bool
        /// XEP-0198: how long a dropped session waits for its client to resume it.
        var hibernationSeconds = 60
        /// Bytes that may wait for a client that does not read before its stream is closed with
        /// `<resource-constraint/>` (RFC 6120 §4.9.3.17). Its own replies stay far below: reading from it stops
        /// at the channel's high water mark. What passes this comes from other sessions (a room's broadcasts).
        /// `XMPPServer.Configuration.outputBacklogBound`: never below twice the largest stanza.
        var maxOutputBacklog = XMPPServer.Configuration.defaultMaxOutputBacklog
        /// Tenants' virtual MUC domains (Jitsi's `mod_muc_domain_mapper`); nil maps nothing.
        var tenants: MUCDomainMapper? = nil
        /// Bytes per second every session may send (Prosody's `limits.c2s.rate`); nil for no limit. Loopback and
        /// `rateLimits.allow` addresses and unlimited accounts are exempt.
        var readRate: Double? = nil
        /// Jitsi's `mod_rate_limit`; nil when off.
        var rateLimiter: RateLimiter? = nil
    }

    let settings: Settings
    let router: StanzaRouter
    let credentials: @Sendable (HostConfiguration) -> any SASLCredentialLookup
    /// Makes the server-side TLS handler for STARTTLS; nil when no certificate is loaded.
    let makeTLSHandler: (@Sendable () throws -> any ChannelHandler)?
    let logger: Logger
    /// Called when a session ends, after its presence is cleaned up (domain handlers forget it).
    let sessionEnded: @Sendable (SessionHandle) -> Void
    /// The server's metrics (`/metrics`); sessions count into their loop's `LoopCounters`.
    let metrics: ServerMetrics
    /// Sessions that may be resumed (XEP-0198).
    let resumption = ResumptionRegistry()
    /// One `OutputFlushQueue` per event loop.
    let flushQueues = PerEventLoop<OutputFlushQueue>()
    /// One `ClosingConnections` per event loop.
    let closers = PerEventLoop<ClosingConnections>()
    /// One `CoarseTimers` per event loop: negotiation timeouts, BOSH's `wait` and inactivity (`timers(on:)`).
    private let loopTimers = PerEventLoop<CoarseTimers>()

    /// The timers of `eventLoop`, made on first use. Call on that loop.
    func timers(on eventLoop: any EventLoop) -> CoarseTimers {
        self.loopTimers.value(for: eventLoop) { CoarseTimers(eventLoop: $0) }.value
    }
    /// The hosts, each boxed once for all sessions (`C2SStateMachine.host`).
    let hostBoxes: [String: Boxed<HostConfiguration>]
    /// One `ElementSequenceParser` per event loop: the parser every WebSocket session's frames go through.
    let frameParsers = PerEventLoop<ElementSequenceParser>()
    /// Public keys fetched from token hosts' key servers, by `kid`.
    let publicKeys = PublicKeyCache()
    /// How key servers are reached over https: the system's trust store, names checked.
    let keyServerTLS: TLSContext? = try? TLSContext.client(verifyPeer: true)
    /// How long a key fetch may take in all.
    let keyFetchTimeout: TimeAmount = .seconds(5)
    /// Where credential lookups that may block (SQLite) run, off the event loops.
    let blockingPool: NIOThreadPool = .singleton
    /// The control API's hooks (session events, refused resumptions); nil unless the control API is on.
    var tap: ControlTap? { self.router.tap }
    /// `parley serve --seed`: repeatable stream ids, resources and anonymous usernames; nil draws them at random.
    var identifiers: SeededIdentifiers? { self.router.identifiers }

    init(
        settings: Settings,
        router: StanzaRouter,
        credentials: @escaping @Sendable (HostConfiguration) -> any SASLCredentialLookup,
        makeTLSHandler: (@Sendable () throws -> any ChannelHandler)?,
        logger: Logger,
        metrics: ServerMetrics = ServerMetrics(),
        sessionEnded: @escaping @Sendable (SessionHandle) -> Void
    ) {
        self.metrics = metrics
        self.settings = settings
        self.router = router
        self.credentials = credentials
        self.makeTLSHandler = makeTLSHandler
        self.logger = logger
        self.sessionEnded = sessionEnded
        self.hostBoxes = settings.hosts.mapValues(Boxed.init)
    }
}
