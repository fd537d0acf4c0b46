import NIOCore

/// The BOSH transport (XEP-0124, XEP-0206) for one client: `<body/>` wrappers POSTed over at most two HTTP/1.1
/// connections, as browsers do.
///
/// The session keeps one request waiting at the server (`hold='1'`) so the server can push, and sends stanzas on the
/// other connection; the server then answers the held request. Requests carry consecutive `rid`s. The stream
/// restart after SASL is a body with `xmpp:restart='true'`, and the end a body with `type='terminate'`.
///
/// ```
/// → <body rid='1' to='meet.jitsi' wait='60' hold='1' ver='1.6' xmpp:version='1.0' …/>
/// ← <body sid='…' requests='2' …><stream:features>…</stream:features></body>
/// → <body rid='2' sid='…'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/></body>
/// ```
final class BOSHSession: ClientLink {
    /// How long the server may hold a request (seconds), as Jitsi's Strophe asks.
    static let wait = 60

    private let client: LoadClient
    private let templates: StanzaTemplates
    private let domain: String
    private let openConnection: (BOSHSession) -> Void
    private var connections: [BOSHConnectionHandler] = []
    private var connecting = 0
    private var sid: [UInt8]?
    private var rid = UInt64.random(in: 1_000_000...4_000_000_000)
    private var outgoing = ByteBuffer()
    private var wantsCreate = false
    private var creating = false
    private var wantsRestart = false
    private var wantsTerminate = false
    private var terminateSent = false
    private var terminated = false
    private var reported = false
    private var upReported = false

    init(
        client: LoadClient,
        templates: StanzaTemplates,
        domain: String,
        openConnection: @escaping (BOSHSession) -> Void
    ) {
        self.client = client
        self.templates = templates
        self.domain = domain
        self.openConnection = openConnection
    }

    /// Opens the first connection; the client is told the link is up once it is.
    func start() {
        self.connecting += 1
        self.openConnection(self)
    }

    // MARK: - Connections

    func connectionReady(_ connection: BOSHConnectionHandler) {
        self.connecting -= 1
        self.connections.append(connection)
        if !self.upReported {
            self.upReported = true
            self.client.linkUp(self)
        } else {
            self.pump()
        }
    }

    func connectFailed(_ error: any Error) {
        self.connecting -= 1
        if !self.upReported {
            self.reported = true
            self.client.connectFailed(error)
        } else if !self.terminated {
            self.terminated = true
            self.client.fail(ErrorClassifier.condition(of: error, stage: self.client.stageName))
            self.abort()
        }
    }

    func connectionClosed(_ connection: BOSHConnectionHandler, error: (any Error)?) {
        let wasBusy = connection.busy
        self.connections.removeAll { $0 === connection }
        if !self.terminated && wasBusy {
            // A request died with its connection: the session cannot go on (XEP-0124 §14 would retry; a load
            // generator counts it).
            self.terminated = true
            self.client.fail(
                error.map { ErrorClassifier.condition(of: $0, stage: self.client.stageName) } ?? "closed:"
                    + self.client.stageName
            )
            self.abort()
        }
        self.reportClosedIfDone()
    }

    private func reportClosedIfDone() {
        guard self.terminated, self.connections.isEmpty, self.connecting == 0, !self.reported else { return }
        self.reported = true
        self.client.linkClosed(error: nil)
    }

    // MARK: - Requests

    private var outstanding: Int { self.connections.reduce(0) { $0 + ($1.busy ? 1 : 0) } }

    private func pump() {
        guard !self.terminated else { return }
        while let connection = self.idleConnection() {
            guard let body = self.nextBody() else { return }
            connection.post(body)
        }
        // Everything is busy: open the second connection if a body waits.
        if self.connections.count + self.connecting < 2 && self.hasWork() {
            self.connecting += 1
            self.openConnection(self)
        }
    }

    private func idleConnection() -> BOSHConnectionHandler? {
        self.connections.first { !$0.busy && !$0.closed }
    }

    private func hasWork() -> Bool {
        (self.wantsCreate && !self.creating)
            || (self.sid != nil && (self.wantsRestart || self.wantsTerminate || self.outgoing.readableBytes > 0))
    }

    /// The next body to send, or nil when none is due.
    private func nextBody() -> ByteBuffer? {
        if self.wantsCreate {
            guard !self.creating else { return nil }
            self.creating = true
            self.wantsCreate = false
            return self.body(
                attributes: "to='\(self.domain)' wait='\(Self.wait)' hold='1' ver='1.6' xmpp:version='1.0' "
                    + "content='text/xml; charset=utf-8' xml:lang='en' xmlns:xmpp='urn:xmpp:xbosh'",
                sid: false
            )
        }
        guard self.sid != nil else { return nil }
        if self.wantsRestart {
            self.wantsRestart = false
            return self.body(
                attributes: "to='\(self.domain)' xml:lang='en' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh'",
                sid: true
            )
        }
        if self.wantsTerminate {
            self.wantsTerminate = false
            self.terminateSent = true
            var body = self.body(attributes: "type='terminate'", sid: true, open: true)
            body.writeBuffer(&self.outgoing)
            body.writeString("<presence xmlns='jabber:client' type='unavailable'/></body>")
            return body
        }
        if self.outgoing.readableBytes > 0 {
            var body = self.body(attributes: nil, sid: true, open: true)
            body.writeBuffer(&self.outgoing)
            body.writeString("</body>")
            return body
        }
        // Nothing to send: keep one request at the server so it can push.
        if self.outstanding == 0 {
            return self.body(attributes: nil, sid: true)
        }
        return nil
    }

    private func body(attributes: String?, sid: Bool, open: Bool = false) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256 + self.outgoing.readableBytes)
        buffer.writeString("<body xmlns='http://jabber.org/protocol/httpbind' rid='")
        StanzaTemplates.writeDecimal(Int(self.rid), into: &buffer)
        self.rid += 1
        buffer.writeString("'")
        if sid, let value = self.sid {
            buffer.writeString(" sid='")
            buffer.writeBytes(value)
            buffer.writeString("'")
        }
        if let attributes {
            buffer.writeString(" ")
            buffer.writeString(attributes)
        }
        buffer.writeString(open ? ">" : "/>")
        return buffer
    }

    func responseReceived(_ connection: BOSHConnectionHandler, status: Int, body: ByteBuffer) {
        guard !self.terminated || self.client.stage == .closing else { return }
        guard status == 200 else {
            self.terminated = true
            self.client.fail("http:\(status)")
            self.abort()
            return
        }
        var framer = XMLFramer(rootDepth: 1)
        var bytes = body
        framer.append(&bytes)
        var terminate: String? = nil
        let client = self.client
        framer.process { event in
            switch event {
            case .streamOpened(let wrapper):
                if self.sid == nil, let sid = wrapper.attribute("sid") { self.sid = Array(sid) }
                if wrapper.attribute("type", is: "terminate") {
                    terminate = wrapper.attributeString("condition") ?? "terminate"
                }
                return .proceed
            case .element(let element):
                _ = client.received(element)
                return .proceed
            case .streamClosed:
                return .stop
            }
        }
        if self.creating && self.sid == nil && terminate == nil {
            self.terminated = true
            client.fail("bosh:no-sid")
            self.abort()
            return
        }
        self.creating = false
        if terminate == nil && self.terminateSent {
            // Our terminate was answered without a terminate body (some servers): the session is over.
            self.terminated = true
            client.streamClosedByServer()
            self.abort()
            return
        }
        if let terminate {
            let wasClosing = client.stage == .closing || client.stage == .finished
            self.terminated = true
            if wasClosing {
                client.streamClosedByServer()
            } else {
                client.fail("bosh:" + terminate)
            }
            self.abort()
            return
        }
        self.pump()
    }

    // MARK: - ClientLink

    func openStream(restart: Bool) {
        if restart {
            self.wantsRestart = true
        } else {
            self.wantsCreate = true
        }
        self.pump()
    }

    func send(_ buffer: ByteBuffer) {
        var buffer = buffer
        self.outgoing.writeBuffer(&buffer)
        self.pump()
    }

    func makeBuffer(capacity: Int) -> ByteBuffer {
        ByteBuffer()
    }

    var supportsTLS: Bool { false }

    func startTLS() throws {
        throw ChannelError.inappropriateOperationForState
    }

    func closeStream() {
        guard !self.terminated else { return }
        self.wantsTerminate = true
        self.pump()
    }

    func abort() {
        self.terminated = true
        for connection in self.connections { connection.close() }
        self.reportClosedIfDone()
    }
}
