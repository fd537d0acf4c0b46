import Foundation
import Logging
import NIOCore
import ParleyCore
import ParleyXML

/// One client session, whatever its transport: drives the `C2SStateMachine` with the transport's stream
/// events, performs its actions (bind, route, presence), and takes stanzas other sessions send it.
///
/// Loop-bound: every method runs on `eventLoop`, the transport's. The transport owns the session; the
/// session keeps the transport until it closes.
final class C2SSession {
    let shared: C2SContext
    let eventLoop: any EventLoop
    var machine: C2SStateMachine
    var transport: (any C2STransport)?
    var handle: SessionHandle?
    /// Entities that got directed presence (RFC 6121 §4.6): they get unavailable when the session ends.
    var directedPresence: Set<JID> = []
    private var timeout: CoarseTimers.Token?
    private var loopTimers: CoarseTimers?
    /// The stream is over or ending: the machine's `.closed` state, the one record of it.
    var closing: Bool { self.machine.isClosed }
    private var flushScheduled = false
    /// XEP-0198 state; `hibernation` runs while the connection is gone and the session may be resumed.
    var sm = StreamManagementState()
    var hibernation: Scheduled<Void>?
    var resumptionEntry: ResumptionRegistry.Entry?
    let supportsStreamManagement: Bool
    /// The connection's id in the logs ("ws-12", "c2s-3").
    let connectionID: String
    /// The server's logger with this connection's id, made when something is logged: an idle session keeps no
    /// logger metadata of its own.
    var logger: Logger {
        var logger = self.shared.logger
        logger[metadataKey: "connection"] = "\(self.connectionID)"
        return logger
    }
    /// Logs a debug line with the connection's ID; the logger is made only when debug lines are kept. Making it
    /// costs a metadata dictionary per line, thousands of instructions on every login.
    func debug(_ message: @autoclosure () -> Logger.Message) {
        guard self.shared.logger.logLevel <= .debug else { return }
        self.logger.debug(message())
    }
    /// This loop's metric counters (`LoopCounters`): counting a stanza is a plain add.
    let counters: LoopCounters
    /// The query string of the request that opened a web session (`room`, `token`, `previd`, `prefix`).
    let query: [String: String]
    /// Tenants' virtual MUC addresses (Jitsi's `mod_muc_domain_mapper`); nil when the server maps none.
    var tenants: TenantAddressing?
    /// How fast the client may send (`C2SSession+RateLimits`).
    /// The session's rate limits (`SessionRateLimits`), kept apart and made only for a session that has any: most
    /// sessions (loopback, allowed ranges, no limits configured) never do, and keep 8 bytes for them, not 150.
    var rateLimits: SessionRateLimits {
        get { self.rateLimitsBox?.value ?? SessionRateLimits() }
        set {
            if let box = self.rateLimitsBox { box.value = newValue } else { self.rateLimitsBox = MutableBox(newValue) }
        }
    }
    private(set) var rateLimitsBox: MutableBox<SessionRateLimits>?
    /// The session counts its stanzas against `mod_rate_limit`'s rates.
    var countsStanzaRates: Bool { self.rateLimitsBox?.value.stanzas != nil }

    init(
        context shared: C2SContext,
        transport: any C2STransport,
        secured: Bool,
        encryptionExempt: Bool,
        connectionID: String,
        query: [String: String] = [:],
        canStartTLS: Bool = false,
        supportsStreamManagement: Bool = false
    ) {
        self.shared = shared
        self.query = query
        self.supportsStreamManagement = supportsStreamManagement
        self.eventLoop = transport.eventLoop
        self.counters = shared.metrics.loops.counters(for: transport.eventLoop)
        self.transport = transport
        let settings = shared.settings
        var machineConfiguration = C2SStateMachine.Configuration(
            hosts: settings.hosts,
            tlsAvailable: canStartTLS && shared.makeTLSHandler != nil && !secured,
            requireEncryption: settings.requireEncryption,
            encryptionExempt: encryptionExempt
        )
        machineConfiguration.offerStreamManagement = supportsStreamManagement
        // Jitsi's jitsi-anonymous: a client resuming with `previd` gets its hibernated username back.
        if let previd = query["previd"], let entry = shared.resumption.entry(previd) {
            machineConfiguration.anonymousUsername = entry.jid.localpart
        }
        machineConfiguration.token = query["token"]
        machineConfiguration.identifiers = shared.identifiers
        machineConfiguration.hostBoxes = shared.hostBoxes
        self.machine = C2SStateMachine(configuration: machineConfiguration, secured: secured)
        self.tenants = settings.tenants.map(TenantAddressing.init(mapper:))
        self.connectionID = connectionID
    }

    /// Starts the negotiation timer (unauthenticated connections time out, RFC 6120 §13.12).
    func start() {
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.timeout = self.timers.schedule(in: self.shared.settings.negotiationTimeout) {
            let session = loopBound.value
            guard !session.machine.isBound else { return }
            session.logger.info("Negotiation timed out")
            session.close(StreamError(.connectionTimeout, text: "No session was established in time"))
        }
    }

    // MARK: - Input from the transport

    func receive(_ event: XMLStreamEvent) {
        guard !self.closing else { return }
        switch event {
        case .streamOpened(let header): self.perform(self.machine.streamOpened(header))
        case .element(let element):
            self.counters.received.add(element, bound: self.handle != nil)
            self.sm.received(element)
            self.perform(self.machine.receive(element))
        case .streamClosed: self.perform(self.machine.streamClosed())
        }
    }

    func inputRefused(_ error: XMLStreamError) {
        self.debug("Refused input: \(error.message)")
        self.shared.metrics.parserError(error.kind)
        self.perform(self.machine.fail(StreamError(error)))
    }

    /// The connection is gone (closed by the peer, or after our close). A resumable session that did not
    /// close cleanly hibernates (XEP-0198 §5) instead of ending.
    func transportClosed() {
        self.counters.connectionClosed(self)
        let abrupt = !self.closing
        self.transport = nil
        if abrupt, self.hibernate() { return }
        _ = self.machine.close(nil)  // nothing to perform: the transport is gone
        self.endSession()
    }

    // MARK: - Output from other sessions

    /// A stanza routed to this session. On `eventLoop`.
    func deliver(_ routed: Stanza) {
        var stanza = routed
        self.tenants?.outbound(&stanza)
        guard let transport = self.transport else {
            // Hibernating: queue for the resumed connection (XEP-0198 §5), within bounds.
            guard self.hibernation != nil else { return }
            if !self.sm.keepWhileHibernating(stanza, limit: C2SSession.maxHibernationQueue) {
                self.logger.info("Too many stanzas queued while hibernating: ending the session")
                self.hibernation?.cancel()
                self.hibernation = nil
                self.forgetResumption()
                self.endSession()
            }
            return
        }
        guard !self.closing else { return }
        self.counters.sent.add(stanza.kind, bound: self.handle != nil)
        // A broadcast's bytes are shared by its recipients; a stanza for this session alone is written from its
        // body and JIDs (`StanzaBytes`), never rebuilt as an element with its addresses as strings.
        transport.send(stanza.serialized ?? StanzaBytes(stanza.body, from: stanza.from), to: stanza.to)
        // XEP-0198 keeps the stanza itself: its shared bytes, not an element rebuilt for this recipient.
        if self.sm.enabled { self.countSent(.stanza(stanza), to: transport) }
        self.scheduleFlush()
    }

    /// Coalesces flushes: stanzas delivered in one burst (a room's broadcast) leave in one write, and the
    /// sessions of one loop share one scheduled flush (`OutputFlushQueue`).
    private func scheduleFlush() {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        self.flushQueue.enqueue(self)
    }

    /// Called by the flush queue once the loop turn that delivered is done. A client that lets more than
    /// `maxOutputBacklog` bytes pile up is sent `<resource-constraint/>` (RFC 6120 §4.9.3.17) after what is
    /// queued, and its connection closes after the transport's grace period: nothing is dropped silently.
    func flushQueuedOutput() {
        self.flushScheduled = false
        guard let transport = self.transport else { return }
        transport.flush()
        self.enforceOutputBounds(transport)
    }

    /// Ends the stream of a client that does not keep up with what it is sent: more than `maxOutputBacklog`
    /// bytes waiting in its connection, or (XEP-0198) more than `maxUnacknowledged` stanzas it has not
    /// acknowledged. Both with `<resource-constraint/>` (RFC 6120 §4.9.3.17), written after what is queued.
    /// Called after a flush, never in the middle of performing actions.
    private func enforceOutputBounds(_ transport: any C2STransport) {
        guard !self.closing else { return }
        if self.sm.unacked.count > C2SSession.maxUnacknowledged {
            let unacked = self.sm.unacked.count
            self.logger.info("Client is not acknowledging: closing its stream", metadata: ["unacked": "\(unacked)"])
            self.close(StreamError(.resourceConstraint, text: "Too many stanzas are waiting for an acknowledgement"))
            return
        }
        let backlog = transport.outputBacklog
        guard backlog > self.shared.settings.maxOutputBacklog else { return }
        self.logger.info("Client is not reading: closing its stream", metadata: ["backlog": "\(backlog)"])
        self.close(StreamError(.resourceConstraint, text: "Too much output is waiting for this client to read it"))
    }

    private lazy var flushQueue: OutputFlushQueue = self.shared.flushQueue(for: self.eventLoop).value

    /// The host the client's stream names (`to`), once it opened: the `host` label of the connection gauge.
    var streamHost: String? { self.machine.host?.domain }

    /// A client connection (TCP or WebSocket) carries this session: counted in `prosody_mod_c2s__connections`
    /// until `transportClosed`. `remote` decides the `ip_family` label; the address itself is not kept.
    func connectionOpened(remote: SocketAddress?) {
        self.counters.connectionOpened(self, ipv6: remote?.isNativeIPv6 ?? false)
    }

    /// The most stanzas kept for a hibernating session.
    static let maxHibernationQueue = 1000
    /// The most stanzas a live XEP-0198 session may leave unacknowledged (the server asks every
    /// `askForAckEvery`; a client that answers has a handful outstanding, a join burst into a large room some
    /// thousand). Prosody's mod_smacks closes such a session too (`smacks_max_queue_size`).
    static let maxUnacknowledged = 10_000
    /// Ask for an ack after this many unacknowledged stanzas (docker-jitsi-meet: `smacks_max_unacked_stanzas = 5`).
    static let askForAckEvery = 5

    /// Sends an element, counting stanzas for stream management.
    private func output(_ element: XMLElement, to transport: any C2STransport) {
        transport.send(element)
        if StreamManagementState.isStanza(element) {
            self.counters.sent.add(element, bound: self.handle != nil)
            self.countSent(.element(element), to: transport)
        }
    }

    /// XEP-0198 §4: records a stanza sent and asks for an ack every `askForAckEvery` of them.
    private func countSent(_ item: StreamManagementState.Unacked, to transport: any C2STransport) {
        if self.sm.enabled { self.counters.smacksQueued &+= 1 }
        if self.sm.sent(item, askEvery: C2SSession.askForAckEvery) {
            transport.send(XMLElement(name: "r", namespace: Namespace.streamManagement))
        }
    }

    func cancelNegotiationTimeout() {
        if let timeout = self.timeout { self.timers.cancel(timeout) }
        self.timeout = nil
    }

    /// The loop's timers (`CoarseTimers`), found once.
    private var timers: CoarseTimers {
        if let timers = self.loopTimers { return timers }
        let timers = self.shared.timers(on: self.eventLoop)
        self.loopTimers = timers
        return timers
    }

    /// Ends the stream (for example `conflict` when another session took the resource).
    func close(_ error: StreamError?) {
        self.perform(self.machine.close(error))
    }

    // MARK: - Actions

    private func perform(_ actions: [C2SAction]) {
        guard let transport = self.transport else { return }
        for action in actions {
            switch action {
            case .sendStreamHeader(let id, let host):
                transport.sendStreamHeader(id: id, host: host)
            case .send(let element):
                self.output(element, to: transport)
            case .sendPrepared(let prepared):
                transport.send(prepared)
            case .startTLS:
                transport.flush()
                guard transport.startTLS() else {
                    self.logger.error("Could not start TLS")
                    _ = self.machine.close(nil)
                    transport.close(nil, needsHeader: false)
                    return
                }
            case .lookUpCredentials(let request, let host):
                self.lookUpCredentials(request, host: host)
            case .verifyToken(let token, let host):
                self.verifyToken(token, host: host)
            case .restartStream:
                transport.restartStream()
            case .authenticated(let jid):
                if self.shared.settings.unlimitedJIDs.contains(jid) {
                    transport.raiseStanzaLimit(to: self.shared.settings.unlimitedMaxStanzaBytes)
                }
                self.rateLimitsAuthenticated(jid)
                self.debug("Authenticated")
            case .bind(let jid):
                self.register(jid)
            case .route(let stanza):
                self.route(stanza)
            case .broadcastPresence(let presence):
                self.broadcastPresence(presence)
            case .streamManagement(let element):
                self.streamManagement(element)
            case .resume(let previd, let h, let user):
                self.resume(previd: previd, clientH: h, user: user)
            case .close(let error):
                if let error { self.logger.info("Closing with stream error \(error.condition.rawValue)") }
                transport.close(error, needsHeader: !self.machine.headerWasSent)
                self.endSession()
                return
            }
        }
        transport.flush()
        self.enforceOutputBounds(transport)
    }

    /// Registers the session under the JID the machine bound (RFC 6120 §7); the newer bind wins (§7.7.2.2).
    private func register(_ jid: JID) {
        let handle = SessionHandle(
            jid: jid,
            sink: C2SSessionSink(self),
            webRoom: WebSessionRoom(query: self.query),
            tokenRoom: self.machine.tokenClaims?.room,
            tokenSubject: self.shared.settings.hosts[jid.domainpart]?.token?.configuration.acceptedSubjects == nil
                ? nil : self.machine.tokenClaims?.subject,
            isTokenModerator: self.machine.tokenClaims?.isModerator ?? false
        )
        if let replaced = self.shared.router.registry.bind(handle) {
            replaced.close(StreamError(.conflict, text: "Replaced by a new connection for the same resource"))
        }
        self.handle = handle
        self.cancelNegotiationTimeout()
        self.debug("Bound a session")
        self.shared.tap?.report(ControlEvent(kind: .sessionStarted, jid: jid))
    }

    /// Answers `.lookUpCredentials`: at once from memory, or on the thread pool when the store may block (SQLite),
    /// so that no other session on this loop waits for the disk. The answer comes back on this loop.
    private func lookUpCredentials(_ request: CredentialRequest, host: HostConfiguration) {
        let lookup = self.shared.credentials(host)
        guard lookup.mayBlock else {
            self.perform(self.machine.credentialsLookedUp(request.answer(from: lookup)))
            return
        }
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.shared.blockingPool.runIfActive(eventLoop: self.eventLoop) { request.answer(from: lookup) }
            .whenComplete { result in
                let session = loopBound.value
                guard !session.closing else { return }
                session.perform(session.machine.credentialsLookedUp((try? result.get()) ?? nil))
            }
    }

    /// Answers `.verifyToken` at once: verification is pure and takes microseconds (an HMAC, or one RSA
    /// verification with a key already in memory). The reason for a refusal is logged, never the token.
    ///
    /// With a key server (RS256), the key named by the token's `kid` comes from the cache, or is fetched on this
    /// loop without blocking it (`KeyServerClient`, with a timeout); the answer comes back on this loop. Nothing is
    /// fetched for a token whose form or header would be refused anyway.
    private func verifyToken(_ token: String?, host: HostConfiguration) {
        guard let verifier = host.token else {
            self.tokenVerified(.failure(.notConfigured))
            return
        }
        guard let server = host.tokenKeyServer, let token, !token.isEmpty else {
            self.tokenVerified(verifier.authenticate(token, now: Date().timeIntervalSince1970))
            return
        }
        let kid: String
        switch verifier.keyID(forFetching: token) {
        case .success(let found): kid = found
        case .failure(let error):
            self.tokenVerified(.failure(error))
            return
        }
        if let key = self.shared.publicKeys[kid] {
            self.tokenVerified(verifier.authenticate(token, now: Date().timeIntervalSince1970, key: .publicKey(key)))
            return
        }
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let cache = self.shared.publicKeys
        KeyServerClient.fetch(
            server,
            path: server.keyPath(kid: kid),
            on: self.eventLoop,
            timeout: self.shared.keyFetchTimeout,
            tls: self.shared.keyServerTLS
        ).whenComplete { result in
            let session = loopBound.value
            guard !session.closing else { return }
            switch result {
            case .success(let pem):
                guard let key = RSAPublicKey(pem: pem) else {
                    session.logger.warning(
                        "The key server's answer is not an RSA public key",
                        metadata: ["server": "\(server)"]
                    )
                    session.tokenVerified(.failure(.noPublicKey))
                    return
                }
                cache.insert(key, kid: kid)
                session.tokenVerified(
                    verifier.authenticate(token, now: Date().timeIntervalSince1970, key: .publicKey(key))
                )
            case .failure(let error):
                session.logger.warning(
                    "Could not fetch a token key",
                    metadata: ["server": "\(server)", "error": "\(error)"]
                )
                session.tokenVerified(.failure(.noPublicKey))
            }
        }
    }

    private func tokenVerified(_ result: Result<TokenClaims?, TokenError>) {
        if case .failure(let error) = result {
            self.logger.info("Token login refused", metadata: ["reason": "\(error.text)"])
        }
        self.perform(self.machine.tokenVerified(result))
    }

    private func route(_ sent: Stanza) {
        var stanza = sent
        if self.countsStanzaRates { self.countForRateLimits(stanza) }
        if let refusal = self.tenants?.inbound(&stanza) {
            self.shared.router.bounce(stanza, refusal)
            return
        }
        if stanza.kind == .presence, let to = stanza.to {
            // Directed presence bookkeeping (RFC 6121 §4.6).
            switch stanza.type {
            case nil: self.directedPresence.insert(to)
            case "unavailable": self.directedPresence.remove(to)
            default: break
            }
        }
        self.shared.router.route(stanza, from: self.handle)
    }

    /// Presence without `to`: the session becomes available or unavailable (RFC 6121 §4.2, §4.4, §4.5). Parley
    /// keeps no roster, so the only subscriber is the user: each of the user's available resources gets it, the one
    /// that sent it included (§4.2.2, §4.4.2), and a resource's initial presence fetches the others' (§4.2.2). On
    /// unavailable the directed-presence recipients are told too (§4.6.3).
    private func broadcastPresence(_ presence: Stanza) {
        guard let handle = self.handle else { return }
        switch presence.type {
        case nil:
            let priority =
                presence.body.child("priority").flatMap { Int($0.text.trimmingCharacters(in: .whitespaces)) } ?? 0
            let initial = !handle.isAvailable
            var broadcast = presence
            broadcast.from = handle.jid
            broadcast.to = nil
            handle.setPresence(available: true, priority: max(-128, min(127, priority)), stanza: broadcast)
            let resources = self.shared.router.registry.sessions(of: handle.jid).filter {
                $0 === handle || $0.isAvailable
            }
            for resource in resources { self.sendOwnPresence(broadcast, to: resource.jid, from: handle) }
            if initial {
                for other in resources where other !== handle {
                    if let theirs = other.lastPresence { self.sendOwnPresence(theirs, to: handle.jid, from: other) }
                }
            }
        case "unavailable":
            let wasAvailable = handle.isAvailable
            handle.setPresence(available: false, priority: 0)
            if wasAvailable { self.sendUnavailableToOwnResources(presence, including: true) }
            self.sendUnavailableToDirected(presence)
        default:
            break  // subscription management needs a roster
        }
    }

    /// One of the user's presences to one of the user's resources, from the resource it describes.
    private func sendOwnPresence(_ presence: Stanza, to target: JID, from resource: SessionHandle) {
        var copy = presence
        copy.from = resource.jid
        copy.to = target
        resource.jid == target ? self.deliverOwn(copy) : self.shared.router.route(copy, from: resource)
    }

    /// A presence for this very session: straight to its own output.
    private func deliverOwn(_ stanza: Stanza) {
        guard let handle = self.handle else { return }
        handle.deliver(stanza)
    }

    /// This resource went offline: the user's other available resources are told (RFC 6121 §4.5.2), and this one
    /// too when it asked (`including`); a dropped connection asks nobody to tell it.
    private func sendUnavailableToOwnResources(_ template: Stanza?, including includingSelf: Bool) {
        guard let handle = self.handle else { return }
        var element = template?.element ?? XMLElement(name: "presence", namespace: Namespace.client)
        element[attribute: "type"] = "unavailable"
        let unavailable = Stanza(unchecked: element, kind: .presence, from: handle.jid, to: nil)
        for resource in self.shared.router.registry.sessions(of: handle.jid) {
            if resource === handle {
                if includingSelf { self.sendOwnPresence(unavailable, to: handle.jid, from: handle) }
            } else if resource.isAvailable {
                self.sendOwnPresence(unavailable, to: resource.jid, from: handle)
            }
        }
    }

    private func sendUnavailableToDirected(_ template: Stanza?) {
        guard let handle = self.handle, !self.directedPresence.isEmpty else { return }
        let targets = self.directedPresence
        self.directedPresence.removeAll()
        for target in targets {
            var element = template?.element ?? XMLElement(name: "presence", namespace: Namespace.client)
            element[attribute: "type"] = "unavailable"
            self.shared.router.route(
                Stanza(unchecked: element, kind: .presence, from: handle.jid, to: target),
                from: handle
            )
        }
    }

    /// The session is over: presence cleaned up, registry left (RFC 6121 §4.6.3). Idempotent.
    func endSession() {
        self.cancelNegotiationTimeout()
        self.stopRateLimits()
        self.hibernation?.cancel()
        self.hibernation = nil
        self.forgetResumption()
        guard let handle = self.handle else { return }
        // A connection that ends without unavailable presence is treated as if it had sent one (RFC 6121 §4.5.3.2).
        if handle.isAvailable { self.sendUnavailableToOwnResources(nil, including: false) }
        self.sendUnavailableToDirected(nil)
        self.handle = nil
        handle.setPresence(available: false, priority: 0)
        self.shared.router.registry.unbind(handle)
        self.shared.sessionEnded(handle)
        self.shared.tap?.report(ControlEvent(kind: .sessionEnded, jid: handle.jid))
    }

    /// The control API's fault: the connection goes away without `</stream:stream>`, as a crashed client's would.
    /// A resumable session hibernates (XEP-0198 §5); a hibernating one ends now.
    func dropConnection() {
        guard let transport = self.transport else {
            guard self.hibernation != nil else { return }
            self.hibernation?.cancel()
            self.hibernation = nil
            self.forgetResumption()
            self.endSession()
            return
        }
        if let handle = self.handle { self.shared.tap?.report(ControlEvent(kind: .sessionDropped, jid: handle.jid)) }
        transport.abort()
    }

    /// The control API's restart: the connection goes as in `dropConnection`. Without `keepResumption` the
    /// XEP-0198 state goes too, as in a restarted server that kept nothing: the session ends instead of
    /// hibernating, and a hibernating one ends now. With it, a resumable session hibernates and a hibernating one
    /// stays.
    func restart(keepResumption: Bool) {
        if !keepResumption { self.forgetResumption() }
        if self.transport == nil {
            if !keepResumption { self.dropConnection() }
            return
        }
        self.dropConnection()
    }

    /// Ends the session whatever its state, a hibernating one included (the control API's reset).
    func terminate(_ error: StreamError) {
        if self.transport == nil {
            self.dropConnection()
        } else {
            self.close(error)
        }
    }
}

@available(*, unavailable)
extension C2SSession: Sendable {}

/// Delivers to a `C2SSession` from any thread by hopping to its event loop.
final class C2SSessionSink: StanzaSink, @unchecked Sendable {
    // @unchecked: `session` is only read and written on `eventLoop` (see `deliver`, `close`).
    private weak var session: C2SSession?
    let eventLoop: any EventLoop

    init(_ session: C2SSession) {
        self.session = session
        self.eventLoop = session.eventLoop
    }

    func deliver(_ stanza: Stanza) {
        if self.eventLoop.inEventLoop {
            self.session?.deliver(stanza)
        } else {
            self.eventLoop.execute { self.session?.deliver(stanza) }
        }
    }

    func deliverInEventLoop(_ stanza: Stanza) {
        self.eventLoop.preconditionInEventLoop()
        self.session?.deliver(stanza)
    }

    func close(_ error: StreamError?) {
        self.eventLoop.execute { self.session?.close(error) }
    }

    func dropConnection() {
        self.eventLoop.execute { self.session?.dropConnection() }
    }

    func restart(keepResumption: Bool) {
        self.eventLoop.execute { self.session?.restart(keepResumption: keepResumption) }
    }

    func terminate(_ error: StreamError) {
        self.eventLoop.execute { self.session?.terminate(error) }
    }
}
