import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import ParleyCore
import ParleyMUC
import ParleyTLS
import ParleyTransports
import ParleyXML
import Synchronization

/// The running server: c2s listeners (STARTTLS on one port, direct TLS per XEP-0368 on another), the
/// router, the session registry and the domain handlers. Start it, read its bound ports, shut it down.
public final class XMPPServer: Sendable {
    /// Ports actually bound (0 in the configuration asks the OS for a free one).
    public struct BoundPorts: Sendable, Hashable, Codable {
        public var c2s: Int
        public var c2sTLS: Int?
        public var http: Int?
        public var https: Int?
        /// The control API's loopback port, when it is served.
        public var control: Int?
        /// The HAProxy agent-check port (`operations.agent_port`), when on.
        public var agent: Int?

        enum CodingKeys: String, CodingKey {
            case c2s
            case c2sTLS = "c2s_tls"
            case http
            case https
            case control
            case agent
        }
    }

    public let configuration: Configuration
    public let router: StanzaRouter
    public let registry: SessionRegistry
    /// The metrics `GET /metrics` renders.
    public let metrics: ServerMetrics
    /// The shard's state (ready, drain, maint): `parley drain`, the status file, the HAProxy agent.
    public let status: ShardStatus
    private let statusFilePoller = Mutex<RepeatedTask?>(nil)
    let group: any EventLoopGroup
    private let tls: TLSContext?
    private let c2s: C2SContext
    let web: WebContext
    let logger: Logger
    let channels = Mutex<[any Channel]>([])
    private let connectionCounter = Atomic<Int>(0)
    private let trimmer = Mutex<RepeatedTask?>(nil)
    /// The control API's endpoints, when it is on.
    private let control: ControlService?

    /// - Parameters:
    ///   - tls: the server's TLS context; nil disables STARTTLS and the direct-TLS port.
    ///   - credentials: the SASL credential lookup for an account host.
    public init(
        configuration: Configuration,
        tls: TLSContext?,
        credentials: @escaping @Sendable (HostConfiguration) -> any SASLCredentialLookup,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.configuration = configuration
        self.group = group
        self.tls = tls
        self.logger = logger
        let registry = SessionRegistry()
        self.registry = registry
        let metrics = ServerMetrics()
        self.metrics = metrics
        let tap = configuration.control == nil ? nil : ControlTap(logger: logger)
        let identifiers = configuration.seed.map(SeededIdentifiers.init(seed:))
        var meetingIDs: (@Sendable (JID) -> String)? = nil
        if let identifiers { meetingIDs = { jid in identifiers.uuid("meeting:\(jid)") } }
        let status = ShardStatus()
        self.status = status
        var domainHandlers = configuration.domains
        // Jitsi's room components: where each sits, the MUC service field that tells the rooms the component's
        // domain (the sender of their notices), and the handler on the router.
        typealias Component = (
            placement: (domain: String, muc: String)?,
            notices: WritableKeyPath<MUCServiceConfiguration, JID?>?,
            handler: (String, MUCService) -> any DomainHandler
        )
        let components: [Component] = [
            (configuration.endConference, nil, { EndConference(domain: $0, rooms: ConferenceRooms(service: $1)) }),
            (
                configuration.avModeration, \.avModerationComponent,
                { AVModerationComponent(domain: $0, rooms: ConferenceRooms(service: $1)) }
            ),
            (
                configuration.speakerStats, \.speakerStatsComponent,
                { SpeakerStatsComponent(domain: $0, rooms: ConferenceRooms(service: $1)) }
            ),
            (
                configuration.polls, \.pollsComponent,
                { PollsComponent(domain: $0, rooms: ConferenceRooms(service: $1)) }
            ),
            (
                configuration.roomMetadata, \.roomMetadataComponent,
                { RoomMetadataComponent(domain: $0, rooms: ConferenceRooms(service: $1)) }
            ),
            (
                configuration.conferenceDuration, \.conferenceDurationComponent,
                { domain, _ in ConferenceDurationComponent(domain: domain) }
            ),
            (
                configuration.lobby.map { ($0.domain, $0.muc) }, nil,
                { LobbyRoomsComponent(domain: $0, service: $1) }
            ),
            (
                configuration.breakoutRooms, nil,
                { BreakoutRoomsComponent(domain: $0, rooms: ConferenceRooms(service: $1)) }
            ),
        ]
        var mucServices: [String: MUCService] = [:]
        for var muc in configuration.mucServices {
            for component in components {
                guard let placement = component.placement, placement.muc == muc.domain else { continue }
                if let notices = component.notices { muc[keyPath: notices] = try? JID(placement.domain) }
            }
            if let lobby = configuration.lobby, lobby.muc == muc.domain {
                muc.lobbyDomain = lobby.domain
                muc.lobbyWhitelist = Set(lobby.whitelist.map(\.bare))
            }
            if let breakout = configuration.breakoutRooms, breakout.muc == muc.domain {
                muc.breakoutRoomsDomain = breakout.domain
            }
            muc.mapsTenantAddresses = configuration.tenants?.mucDomain == muc.domain
            let service = MUCService(
                configuration: muc,
                group: group,
                namePolicy: configuration.roomNamePolicy,
                joinObserver: { metrics.joined(afterNanoseconds: $0) },
                observer: tap,
                secret: identifiers?.bytes("occupant-iq-secret:\(muc.domain)", count: 32),
                makeMeetingID: meetingIDs
            )
            mucServices[muc.domain] = service
            domainHandlers[muc.domain] = MUCDomainHandler(service: service)
        }
        for component in components {
            guard let placement = component.placement, let service = mucServices[placement.muc] else { continue }
            domainHandlers[placement.domain] = component.handler(placement.domain, service)
        }
        if let proxy = configuration.focusProxy, let domain = try? JID(proxy.domain) {
            var focusProxy = FocusProxy(
                domain: domain,
                target: proxy.target.bare,
                roomNamePolicy: configuration.roomNamePolicy
            )
            if configuration.operations.drainRefusesNewConferences {
                let services = mucServices
                focusProxy.newConferencePolicy = { room in
                    guard status.state != .ready else { return nil }
                    guard let jid = try? JID(room), let localpart = jid.localpart,
                        let service = services[jid.domainpart], service.room(localpart) == nil
                    else { return nil }
                    return StanzaError(
                        .serviceUnavailable,
                        type: .cancel,
                        text: "This server is draining: it takes no new conferences"
                    )
                }
            }
            domainHandlers[proxy.domain] = focusProxy
        }
        var identities: [DiscoIdentity] = []
        for (domain, handler) in domainHandlers.sorted(by: { $0.key < $1.key }) {
            if var identity = handler.discoIdentity {
                identity.name = identity.name ?? domain
                identities.append(identity)
            }
        }
        var hosts: [String: HostService] = [:]
        let shardIdentities = ShardIdentity(configuration.operations).discoIdentities
        for (index, host) in configuration.hosts.enumerated() {
            hosts[host.domain] = HostService(
                domain: host.domain,
                advertiseVersion: configuration.advertiseVersion,
                // Jitsi's mod_jiconop: the shard's identities on the main domain, the first host.
                serverIdentities: index == 0 ? shardIdentities : [],
                componentIdentities: identities,
                componentDomains: Array(domainHandlers.keys),
                externalServices: configuration.externalServices
            )
        }
        let router = StanzaRouter(
            registry: registry,
            hosts: hosts,
            domains: domainHandlers,
            logger: logger,
            tap: tap,
            identifiers: identifiers
        )
        self.router = router
        if let settings = configuration.control, let tap {
            self.control = ControlService(
                hub: ControlHub(tap: tap, group: group),
                router: router,
                mucServices: mucServices.values.sorted { $0.domain < $1.domain },
                accounts: settings.accounts,
                token: settings.token
            )
        } else {
            self.control = nil
        }
        let domains = domainHandlers
        var makeTLS: (@Sendable () throws -> any ChannelHandler)? = nil
        if let tls {
            makeTLS = { @Sendable () throws -> any ChannelHandler in try OpenSSLHandler(context: tls) }
        }
        self.c2s = C2SContext(
            settings: .init(
                hosts: Dictionary(configuration.hosts.map { ($0.domain, $0) }, uniquingKeysWith: { a, _ in a }),
                requireEncryption: configuration.requireEncryption,
                allowPlaintextLoopback: configuration.allowPlaintextLoopback,
                maxStanzaBytes: configuration.maxStanzaBytes,
                unlimitedMaxStanzaBytes: configuration.unlimitedMaxStanzaBytes,
                unlimitedJIDs: Set(configuration.unlimitedJIDs.map(\.bare)),
                maxDepth: configuration.maxDepth,
                negotiationTimeout: configuration.negotiationTimeout,
                logAddresses: configuration.logAddresses,
                hibernationSeconds: configuration.hibernationSeconds,
                maxOutputBacklog: configuration.outputBacklogBound,
                tenants: configuration.tenants,
                readRate: configuration.readRate,
                rateLimiter: configuration.rateLimits.map(RateLimiter.init(settings:))
            ),
            router: router,
            credentials: credentials,
            makeTLSHandler: makeTLS,
            logger: logger,
            metrics: metrics,
            sessionEnded: { session in
                for handler in domains.values { handler.sessionEnded(session, router: router) }
            }
        )
        let bosh = BOSHService(
            settings: .init(
                maxWait: configuration.boshMaxWait,
                inactivity: configuration.boshInactivity,
                maxBodyBytes: configuration.maxStanzaBytes + 8192,
                maxPendingBytes: configuration.outputBacklogBound
            ),
            group: group
        )
        self.web = WebContext(
            c2s: self.c2s,
            bosh: bosh,
            corsOrigins: Set(configuration.corsOrigins),
            secure: configuration.webTransportsSecure,
            maxBodyBytes: configuration.maxStanzaBytes + 8192,
            roomNamePolicy: configuration.roomNamePolicy,
            operators: OperatorEndpoints(
                settings: configuration.operations,
                metrics: metrics,
                registry: registry,
                mucServices: Array(mucServices.values),
                focus: configuration.focusProxy?.target.bare,
                bosh: bosh,
                status: status
            )
        )
        bosh.attach(self.web)
    }

    /// Binds the listeners. Returns once they accept connections. Throws `UnusableXMLLibrary` first when the
    /// libexpat in use would hold back split stanzas (`ExpatLibrary`).
    public func start() throws -> BoundPorts {
        let expat = ExpatLibrary.current
        guard expat.deliversSplitElementsAtOnce else { throw UnusableXMLLibrary(library: expat) }
        self.logger.info("\(expat)")
        let c2sChannel = try self.listen(port: self.configuration.c2sPort, directTLS: false)
        var ports = BoundPorts(c2s: c2sChannel.localAddress?.port ?? 0, c2sTLS: nil, http: nil, https: nil)
        if let tlsPort = self.configuration.c2sTLSPort, self.tls != nil {
            let tlsChannel = try self.listen(port: tlsPort, directTLS: true)
            ports.c2sTLS = tlsChannel.localAddress?.port
        }
        if let httpPort = self.configuration.httpPort {
            ports.http = try self.listenHTTP(port: httpPort, tls: nil).localAddress?.port
        }
        if let httpsPort = self.configuration.httpsPort, let tls = self.tls {
            ports.https = try self.listenHTTP(port: httpsPort, tls: tls).localAddress?.port
        }
        if let control = self.control, let settings = self.configuration.control {
            ports.control = try self.listenControl(port: settings.port, service: control).localAddress?.port
        }
        if let agentPort = self.configuration.agentPort {
            let agent = try HAProxyAgent.listen(
                host: self.configuration.listenAddress,
                port: agentPort,
                group: self.group,
                endpoints: self.web.operators
            )
            self.channels.withLock { $0.append(agent) }
            ports.agent = agent.localAddress?.port
        }
        if let path = self.configuration.operations.statusFile {
            self.statusFilePoller.withLock {
                $0 = StatusFile(path: path, status: self.status, logger: self.logger).poll(on: self.group.next())
            }
        }
        self.startMemoryTrimmer()
        return ports
    }

    /// Ends every session with `system-shutdown` (RFC 6120 §4.9.3.22) and closes the listeners.
    public func shutdown() {
        let listeners = self.channels.withLock { channels in
            defer { channels.removeAll() }
            return channels
        }
        self.trimmer.withLock { $0?.cancel() }
        self.control?.hub.stop()
        self.statusFilePoller.withLock { $0?.cancel() }
        for channel in listeners { try? channel.close().wait() }
        self.registry.closeAll(StreamError(.systemShutdown, text: "The server is shutting down"))
    }

    /// Whether connections carry a `ReadThrottleHandler` (some rate limit is configured); none costs nothing.
    private var limitsRates: Bool { self.configuration.readRate != nil || self.configuration.rateLimits != nil }

    private func listen(port: Int, directTLS: Bool) throws -> any Channel {
        let c2s = self.c2s
        let limitsRates = self.limitsRates
        let tls = self.tls
        let counter = self
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                XMPPServer.initialize(channel) {
                    try XMPPServer.setConnectionOptions(channel, maxMessagesPerRead: 8)
                    let id = counter.nextConnectionID()
                    let loopback = XMPPServer.isLoopback(channel.remoteAddress)
                    if directTLS, let tls {
                        try channel.pipeline.syncOperations.addHandler(try OpenSSLHandler(context: tls))
                    }
                    // `C2SHandler` holds `read` while the channel is unwritable. A `ReadThrottleHandler` below it
                    // passes on reads it held when its budget refills, so with rate limits a `BackPressureHandler`
                    // below both holds those too. STARTTLS later puts its TLS handler first, below them all.
                    if limitsRates {
                        try channel.pipeline.syncOperations.addHandler(BackPressureHandler())
                        try channel.pipeline.syncOperations.addHandler(ReadThrottleHandler())
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        C2SHandler(
                            context: c2s,
                            eventLoop: channel.eventLoop,
                            secured: directTLS,
                            loopback: loopback,
                            connectionID: id
                        )
                    )
                }
            }
        let channel = try self.bind(
            bootstrap,
            port: port,
            role: directTLS ? "c2s direct TLS (XEP-0368)" : "c2s (STARTTLS)"
        )
        self.channels.withLock { $0.append(channel) }
        self.logger.info(
            "Listening for clients",
            metadata: ["port": "\(channel.localAddress?.port ?? port)", "tls": "\(directTLS ? "direct" : "starttls")"]
        )
        return channel
    }

    /// A client connection's socket options: no Nagle delay (stanzas are small and interactive), and the
    /// write-buffer marks that pause reading from a client that does not read. Set in the initializer,
    /// synchronously: `childChannelOption` costs a future per option per connection.
    ///
    /// Backpressure (RFC 6120 §13.12: guard against denial of service, by means the server chooses): once
    /// more than `writeBufferHighWater` bytes wait in the channel for the peer, the channel turns unwritable and
    /// the session's handler (`C2SHandler`, `WebSocketC2SHandler`) stops passing `read` on, as NIO's
    /// `BackPressureHandler` does right above the socket of HTTP pipelines and of rate-limited TCP ones; below
    /// `writeBufferLowWater` it reads again. A peer that sends without
    /// reading thus fills its own socket buffers, not the server's memory. The TLS handler encrypts as soon as
    /// it is flushed, so its ciphertext is in the channel's buffer and counts against these marks.
    private static func setConnectionOptions(_ channel: any Channel, maxMessagesPerRead: UInt?) throws {
        guard let options = channel.syncOptions else { return }
        #if !os(Linux)
        // On Linux an accepted socket inherits TCP_NODELAY from the listener, where NIO's ServerBootstrap sets it
        // (`SocketOptionsTests`): a system call and ~3,000 instructions a connection saved.
        try options.setOption(.tcpOption(.tcp_nodelay), value: 1)
        #endif
        let marks = ChannelOptions.Types.WriteBufferWaterMark(
            low: XMPPServer.writeBufferLowWater,
            high: XMPPServer.writeBufferHighWater
        )
        try options.setOption(.writeBufferWaterMark, value: marks)
        try options.setOption(.recvAllocator, value: XMPPServer.receiveAllocator)
        if let maxMessagesPerRead { try options.setOption(.maxMessagesPerRead, value: maxMessagesPerRead) }
    }

    /// How much a connection reads at a time: from 512 bytes (a stanza or a frame of an idle client), growing
    /// to 64 KiB while reads keep filling it and shrinking back when they stop. Each connection keeps its last
    /// receive buffer for the next read, so NIO's default start of 2 KiB was 2 KiB held by every idle session.
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536)

    /// Output waiting in a client's channel above which the server stops reading from that client.
    static let writeBufferHighWater = 512 * 1024
    /// Output waiting in a client's channel below which the server reads from that client again.
    static let writeBufferLowWater = 64 * 1024

    /// The web listener: WebSocket upgrades at `/xmpp-websocket` (RFC 7395: subprotocol `xmpp` required and
    /// echoed), everything else to `HTTPHandler` (BOSH, keep-alive, health).
    private func listenHTTP(port: Int, tls: TLSContext?) throws -> any Channel {
        let web = self.web
        let limitsRates = self.limitsRates
        let trustedProxies = self.configuration.trustedProxies
        let counter = self
        let maxFrame = max(self.configuration.maxStanzaBytes, 16 * 1024) + 4096
        // The session's handler after a handshake, taken by `WebSocketHandshakeHandler` or, through NIO's HTTP
        // pipeline, by `XMPPWebSocketUpgrader`: the one handler of a WebSocket connection above the socket's (it reads,
        // joins and writes frames itself).
        let addWebSocketSession: @Sendable (any Channel, String, [String]) throws -> Void = {
            channel,
            uri,
            forwardedFor in
            let peer = channel.remoteAddress
            try channel.pipeline.syncOperations.addHandler(
                WebSocketC2SHandler(
                    context: web.c2s,
                    eventLoop: channel.eventLoop,
                    query: HTTPQuery(uri: uri),
                    secure: web.secure,
                    connectionID: "ws-" + counter.nextConnectionID(),
                    clientAddress: {
                        ClientAddress.resolve(
                            peer: peer?.ipAddress,
                            forwardedFor: forwardedFor,
                            trusted: trustedProxies
                        )
                    },
                    maxMessageBytes: maxFrame
                )
            )
        }
        // RFC 7395 §3.3.1: the `xmpp` subprotocol at /xmpp-websocket, for a room name the policy allows;
        // nil leaves the request to the HTTP handler.
        let upgradeHeaders: @Sendable (String, [String]) -> [(String, String)]? = { uri, protocols in
            let query = HTTPQuery(uri: uri)
            guard query.path == "/xmpp-websocket", protocols.contains("xmpp"), web.roomRefusal(query) == nil
            else { return nil }
            return [("Sec-WebSocket-Protocol", "xmpp")] + web.operators.identity.headers.map { ($0.name, $0.value) }
        }
        // NIO's HTTP pipeline, its WebSocket upgrader included, and Parley's HTTP handler: what answers every request
        // the plain paths (`WebSocketHandshakeHandler`, `BOSHHTTPHandler`) do not recognise.
        let installNIOHTTP: @Sendable (any Channel) throws -> Void = { channel in
            let upgrader = XMPPWebSocketUpgrader(upgradeHeaders: upgradeHeaders) {
                channel,
                uri,
                forwardedFor in
                try addWebSocketSession(channel, uri, forwardedFor)
            }
            // Holds `read` for BOSH's HTTP responses (and, after NIO's upgrade, WebSocket frames too).
            try channel.pipeline.syncOperations.addHandler(BackPressureHandler())
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withServerUpgrade: (
                    upgraders: [upgrader],
                    completionHandler: { context in
                        context.pipeline.removeHandler(name: "parley.http", promise: nil)
                    }
                )
            )
            try channel.pipeline.syncOperations.addHandler(HTTPHandler(web: web), name: "parley.http")
        }
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                do {
                    try XMPPServer.setConnectionOptions(channel, maxMessagesPerRead: nil)
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                // A browser's plain handshake (`WebSocketHandshakeHandler`) and plain BOSH requests
                // (`BOSHHTTPHandler`) are answered without NIO's HTTP pipeline; the first request neither recognises
                // hands the connection to that pipeline, NIO's upgrader included, as before.
                let handshake = WebSocketHandshakeHandler(
                    accepting: { upgradeHeaders($0.target, $0.protocols) },
                    installWebSocket: { channel, handshake in
                        try addWebSocketSession(channel, handshake.target, handshake.forwardedFor)
                    },
                    installHTTP: { channel in
                        try channel.pipeline.syncOperations.addHandler(
                            BOSHHTTPHandler(web: web, installHTTP: installNIOHTTP)
                        )
                    }
                )
                return XMPPServer.initialize(channel) {
                    if let tls { try channel.pipeline.syncOperations.addHandler(try OpenSSLHandler(context: tls)) }
                    if limitsRates { try channel.pipeline.syncOperations.addHandler(ReadThrottleHandler()) }
                    // Back-pressure comes with what takes the connection: a `BackPressureHandler` before NIO's HTTP
                    // pipeline, the WebSocket session's handler or `BOSHHTTPHandler` itself on the plain paths.
                    try channel.pipeline.syncOperations.addHandler(handshake)
                }
            }
        let channel = try self.bind(
            bootstrap,
            port: port,
            role: tls == nil ? "HTTP (BOSH and WebSocket)" : "HTTPS (BOSH and WebSocket)"
        )
        self.channels.withLock { $0.append(channel) }
        self.logger.info(
            "Listening for web clients",
            metadata: ["port": "\(channel.localAddress?.port ?? port)", "tls": "\(tls != nil)"]
        )
        return channel
    }

    /// Runs a connection's set-up on its loop and answers with the loop's shared succeeded future, or a failed one.
    /// `makeCompletedFuture { … }` made a future (and looked up its generic metadata) for every connection.
    private static func initialize(
        _ channel: any Channel,
        _ body: () throws -> Void
    ) -> EventLoopFuture<Void> {
        do {
            try body()
            return channel.eventLoop.makeSucceededVoidFuture()
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    /// Binds a listener; a failure names the listener's role, address and port, and who holds the port when
    /// it is in use and visible (`ListenerBindError`), instead of NIO's bare `bind(descriptor:ptr:bytes:)`.
    private func bind(_ bootstrap: ServerBootstrap, port: Int, role: String) throws -> any Channel {
        let address = self.configuration.listenAddress
        do {
            return try bootstrap.bind(host: address, port: port).wait()
        } catch {
            throw ListenerBindError(role: role, address: address, port: port, error: error)
        }
    }

    /// glibc keeps freed memory in its arenas; after sessions end, give it back to the OS so a server that
    /// served a join storm returns to its idle size. Checked twice a second: trims once the session count has
    /// fallen by a quarter from its peak since the last trim, and on the first two samples at zero (late frees
    /// of rooms and channels land after the drop). `MemoryTrimPolicy` decides; the loop only counts.
    private func startMemoryTrimmer() {
        let registry = self.registry
        let policy = Mutex(MemoryTrimPolicy())
        let task = self.group.next().scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500)) {
            _ in
            let count = registry.count
            if policy.withLock({ $0.shouldTrim(sessions: count) }) { MemoryTrim.trim() }
        }
        self.trimmer.withLock { $0 = task }
    }

    private func nextConnectionID() -> String {
        String(self.connectionCounter.wrappingAdd(1, ordering: .relaxed).newValue, radix: 36)
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        address?.isLoopbackPeer ?? false
    }
}
