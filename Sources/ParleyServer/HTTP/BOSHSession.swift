import NIOCore
import NIOHTTP1
import ParleyCore
import ParleyTransports
import ParleyXML

/// One BOSH session (XEP-0124, XEP-0206): the transport of a `C2SSession` across many HTTP requests.
///
/// Requests are processed in `rid` order; one (`hold`) is kept open until the server has something to say
/// or `wait` runs out; the last responses are kept so a lost one can be sent again; a session that sees
/// no request for `inactivity` seconds ends like any other (its rooms get unavailable presence).
/// Loop-bound: every method runs on `eventLoop`.
final class BOSHSession: C2STransport {
    struct Held {
        let rid: UInt64
        let respond: BOSHService.Respond
        let timer: CoarseTimers.Token?
    }

    let sid: String
    let eventLoop: any EventLoop
    /// The loop's timers, for `wait` and inactivity.
    private let timers: CoarseTimers
    private let web: WebContext
    private unowned let service: BOSHService
    private let query: HTTPQuery
    private let wait: Int
    private let hold: Int
    private var session: C2SSession?
    /// The highest rid processed.
    private var lastRID: UInt64
    /// Requests that arrived ahead of a missing rid (within the window).
    private var early: [UInt64: (BOSHBody, BOSHService.Respond)] = [:]
    private var held: [Held] = []
    private var pending: [UInt8] = []
    /// Recent responses by rid, for retransmission (XEP-0124 §14.3).
    private var sent: [(rid: UInt64, body: [UInt8])] = []
    private var creationAttributes: [(String, String)]?
    private var terminated = false
    private var terminateBody: [UInt8]?
    private var inactivityTimer: CoarseTimers.Token?

    init(
        sid: String,
        web: WebContext,
        service: BOSHService,
        eventLoop: any EventLoop,
        timers: CoarseTimers,
        query: HTTPQuery,
        wait: Int,
        hold: Int,
        firstRID: UInt64
    ) {
        self.sid = sid
        self.web = web
        self.service = service
        self.eventLoop = eventLoop
        self.timers = timers
        self.query = query
        self.wait = wait
        self.hold = hold
        self.lastRID = firstRID
    }

    /// The session-creation request (XEP-0124 §7.1; XEP-0206 §5).
    func create(_ body: BOSHBody, respond: @escaping BOSHService.Respond) {
        let session = C2SSession(
            context: self.web.c2s,
            transport: self,
            secured: false,
            encryptionExempt: self.web.secure,
            connectionID: "bosh-\(self.sid.prefix(6))",
            query: self.query.parameters
        )
        self.session = session
        session.start()
        let settings = self.service.settings
        self.creationAttributes = [
            ("sid", self.sid), ("wait", String(self.wait)), ("hold", String(self.hold)),
            ("requests", String(settings.requests)), ("inactivity", String(settings.inactivity)),
            ("polling", "2"), ("ver", "1.11"), ("xmpp:version", "1.0"), ("xmpp:restartlogic", "true"),
        ]
        self.hold(rid: self.lastRID, respond: respond)
        session.receive(.streamOpened(self.header(body)))
    }

    /// A later request.
    func request(_ body: BOSHBody, rid: UInt64, respond: @escaping BOSHService.Respond) {
        self.cancelInactivityTimer()
        if let terminateBody = self.terminateBody {
            // Ended while no request was held (`overflow`): this request carries the reason, then the sid goes.
            self.service.remove(self.sid)
            return respond(.ok, terminateBody)
        }
        if rid <= self.lastRID {
            // A retransmission: send the cached response again, or refuse one we no longer have.
            if let cached = self.sent.first(where: { $0.rid == rid }) { return respond(.ok, cached.body) }
            if self.held.contains(where: { $0.rid == rid }) {
                return respond(.ok, BOSHBody.response(attributes: [], payload: []))
            }
            return self.terminate(condition: "item-not-found", respond: respond)
        }
        let window = UInt64(self.service.settings.requests)
        guard rid <= self.lastRID + window else {
            return self.terminate(condition: "item-not-found", respond: respond)
        }
        // Overactivity (XEP-0124 §11): more requests outstanding than `requests`. Checked before this request
        // is queued, so every HTTP request gets exactly one response.
        if self.early.count + self.held.count + 1 > self.service.settings.requests {
            return self.terminate(condition: "policy-violation", respond: respond)
        }
        self.early[rid] = (body, respond)
        while let (next, nextRespond) = self.early.removeValue(forKey: self.lastRID + 1) {
            self.lastRID += 1
            self.process(next, rid: self.lastRID, respond: nextRespond)
            if self.terminated { return }
        }
    }

    private func process(_ body: BOSHBody, rid: UInt64, respond: @escaping BOSHService.Respond) {
        guard let session = self.session else { return self.terminate(condition: nil, respond: respond) }
        self.hold(rid: rid, respond: respond)
        if body.isRestart {
            session.receive(.streamOpened(self.header(body)))
        }
        for element in body.elements {
            session.receive(.element(element))
            if self.terminated { return }
        }
        if body.isTerminate {
            self.terminated = true
            session.receive(.streamClosed)
            self.finish(condition: nil)
            return
        }
        self.releaseIfNeeded()
    }

    private func header(_ body: BOSHBody) -> XMLStreamHeader {
        var attributes = [XMLAttribute(name: "version", value: body[xmpp: "version"] ?? "1.0")]
        if let to = body[attribute: "to"] { attributes.append(XMLAttribute(name: "to", value: to)) }
        return XMLStreamHeader(
            name: "stream",
            namespace: Namespace.streams,
            attributes: attributes,
            defaultNamespace: Namespace.client,
            prefixes: [:]
        )
    }

    // MARK: - Holding and answering requests

    private func hold(rid: UInt64, respond: @escaping BOSHService.Respond) {
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let timer = self.timers.schedule(in: .seconds(Int64(self.wait))) {
            loopBound.value.answer(rid: rid)
        }
        self.held.append(Held(rid: rid, respond: respond, timer: timer))
    }

    /// Keeps at most `hold` requests open; answers the oldest beyond that, or at once when there is data.
    private func releaseIfNeeded() {
        if !self.pending.isEmpty || self.creationAttributes != nil {
            self.answerOldest()
        }
        while self.held.count > self.hold {
            self.answerOldest()
        }
    }

    private func answer(rid: UInt64) {
        guard let index = self.held.firstIndex(where: { $0.rid == rid }) else { return }
        self.respond(self.held.remove(at: index))
    }

    private func answerOldest() {
        guard !self.held.isEmpty else { return }
        self.respond(self.held.removeFirst())
    }

    private func respond(_ request: Held) {
        self.cancel(request)
        var attributes = self.creationAttributes ?? []
        self.creationAttributes = nil
        if attributes.isEmpty == false { attributes.append(("from", self.hostName ?? "")) }
        let body = BOSHBody.response(attributes: attributes, payload: self.pending)
        self.pending.removeAll(keepingCapacity: true)
        self.sent.append((request.rid, body))
        if self.sent.count > self.service.settings.requests { self.sent.removeFirst() }
        request.respond(.ok, body)
        if self.held.isEmpty { self.startInactivityTimer() }
    }

    private var hostName: String?

    private func startInactivityTimer() {
        guard !self.terminated else { return }
        self.cancelInactivityTimer()
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.inactivityTimer = self.timers.schedule(in: .seconds(Int64(self.service.settings.inactivity))) {
            let bosh = loopBound.value
            bosh.session?.logger.info("BOSH session inactive: ending it")
            bosh.finish(condition: nil)
        }
    }

    private func cancelInactivityTimer() {
        if let timer = self.inactivityTimer { self.timers.cancel(timer) }
        self.inactivityTimer = nil
    }

    private func cancel(_ request: Held) {
        if let timer = request.timer { self.timers.cancel(timer) }
    }

    private func terminate(condition: String?, respond: @escaping BOSHService.Respond) {
        let body = BOSHBody.terminate(condition: condition)
        self.finish(condition: condition)
        respond(.ok, body)
    }

    /// Ends the session: held requests answered with `terminate`, the c2s session ended, the sid forgotten.
    private func finish(condition: String?, payload: [UInt8] = [], forgetSID: Bool = true) {
        guard self.terminateBody == nil else { return }
        let body = BOSHBody.terminate(condition: condition, payload: self.pending + payload)
        self.pending.removeAll()
        self.terminateBody = body
        self.terminated = true
        self.cancelInactivityTimer()
        for request in self.held {
            self.cancel(request)
            request.respond(.ok, body)
        }
        self.held.removeAll()
        for (_, (_, respond)) in self.early { respond(.ok, body) }
        self.early.removeAll()
        self.session?.transportClosed()
        self.session = nil
        if forgetSID { self.service.remove(self.sid) }
    }

    // MARK: - C2STransport

    func sendStreamHeader(id: String, host: String) {
        self.hostName = host
        if var attributes = self.creationAttributes {
            attributes.append(("authid", id))
            self.creationAttributes = attributes
        }
    }

    func send(_ element: XMLElement) { self.pending += WebSocketXMPPCodec.encode(element) }

    func send(_ prepared: PreparedStreamElement) { self.pending += prepared.standalone }

    func send(_ bytes: StanzaBytes, to recipient: JID?) {
        bytes.write(to: recipient, declareNamespace: true, into: &self.pending)
    }

    func flush() {
        if !self.pending.isEmpty || self.creationAttributes != nil { self.answerOldest() }
        if self.pending.count > self.service.settings.maxPendingBytes { self.overflow() }
    }

    /// Output piles up only while no request is held: the client has stopped polling, or polls too rarely for
    /// what it is sent. Past `maxPendingBytes` the session is terminated with `policy-violation` (XEP-0124
    /// §17.2: "the client has broken the session rules"; §11 names the same condition for overactivity). The
    /// backlog is dropped rather than sent in the terminate body. No request is held, so the sid stays known
    /// until the client's next request, which gets the terminate body, or for `inactivity` seconds.
    private func overflow() {
        let backlog = self.pending.count
        self.session?.logger.info(
            "BOSH client is not collecting its output: terminating",
            metadata: ["backlog": "\(backlog)"]
        )
        self.pending = []
        self.sent = []
        self.finish(condition: "policy-violation", forgetSID: false)
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.inactivityTimer = self.timers.schedule(in: .seconds(Int64(self.service.settings.inactivity))) {
            let bosh = loopBound.value
            bosh.service.remove(bosh.sid)
        }
    }

    /// Bytes waiting for the client's next request; kept under `maxPendingBytes` by `flush`.
    var outputBacklog: Int { self.pending.count }

    func startTLS() -> Bool { false }

    func restartStream() {}

    func raiseStanzaLimit(to bytes: Int) {}

    /// BOSH has no connection of its own to cut: the session ends as if its client had stopped polling.
    func abort() { self.finish(condition: nil) }

    func close(_ error: StreamError?, needsHeader: Bool) {
        // XEP-0206 §7: a stream error travels in a terminate body with condition remote-stream-error.
        let payload = error.map { WebSocketXMPPCodec.encode($0.element) } ?? []
        let condition = error == nil ? nil : "remote-stream-error"
        if let request = self.held.first {
            self.held.removeFirst()
            self.cancel(request)
            request.respond(.ok, BOSHBody.terminate(condition: condition, payload: self.pending + payload))
            self.pending.removeAll()
        }
        self.finish(condition: condition, payload: payload)
    }
}

@available(*, unavailable)
extension BOSHSession: Sendable {}
