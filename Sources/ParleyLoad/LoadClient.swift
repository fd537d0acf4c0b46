import NIOCore

/// One simulated XMPP client: an RFC 6120 session (STARTTLS, SASL, bind) followed by what the scenario asks for
/// (a XEP-0045 join, presence updates, the Jitsi conference IQ).
///
/// A client lives on its worker's event loop and only reacts to what its link delivers; it never blocks and never
/// starts a task. What it sends comes from `StanzaTemplates`; what it receives is looked at through `ElementView`
/// without parsing, so that a login and join costs the generator a few tens of microseconds.
///
/// ```
/// TCP        → <stream:stream> ← features ([starttls] → <proceed/> → TLS → <stream:stream> ← features)
/// SASL       → <auth/> ← <success/> → <stream:stream> ← features(bind)
/// bind       → <iq type='set'><bind/></iq> ← <iq type='result'/>           (login done)
/// [jitsi]    → <iq to='focus…'><conference room=…/></iq> ← <iq type='result'><conference ready='true'/></iq>
/// join       → <presence to='room@muc/nick'><x xmlns='…muc'/></presence> ← occupants…, self-presence (join done)
/// [fanout]   → update ← own echo → update …                                   (each echo times one update)
/// ```
final class LoadClient {
    enum Stage: Equatable {
        case connecting
        case awaitingFeatures(Negotiation)
        case awaitingProceed
        case awaitingSASL
        case awaitingBind
        case awaitingSession
        case awaitingConference
        case awaitingJoin
        /// Joined (participants) or ready to answer conference IQs (focus).
        case joined
        /// Logged in without a room (login scenario, until the run closes it).
        case loggedIn
        case closing
        case finished
    }

    enum Negotiation: Equatable {
        case initial
        case secured
        case authenticated
    }

    /// The client's number in the run (rooms and nicks derive from it).
    let index: Int
    let room: Int
    /// Occupants of this client's room: the presences it receives per round of updates.
    let roomOccupants: Int
    unowned let worker: LoadWorker
    let templates: StanzaTemplates
    let transport: LoadTransport
    /// The emulated focus (Jicofo) of the jitsi scenario, or nil for a participant.
    let focus: FocusState?

    var link: (any ClientLink)?
    var stage: Stage = .connecting
    /// When this client's clock started (its intended start, in the open loop), in uptime nanoseconds.
    var startedAt: UInt64 = 0
    /// When its connection attempt began.
    var connectStartedAt: UInt64 = 0
    /// Give up on the login and join after this.
    var deadline: UInt64 = .max
    var joinSentAt: UInt64 = 0
    var conferenceSentAt: UInt64 = 0
    var updateSentAt: UInt64 = 0
    var updatesSent = 0
    var updatesEchoed = 0
    var updatesWanted = 0
    /// Whether received presences are looked at for a `DeliveryTag` (the fan-out).
    var updatesTracked = false
    /// Available presences received from the room, the client's own included.
    var presences = 0
    var occupantJID: [UInt8] = []
    var sessionRequired = false
    /// XEP-0198, with `--stream-management` (participants only).
    var streamManagement = StreamManagementClient()
    /// Whether the operation counted in the first phase (login or join) has completed.
    var completed = false
    var connectionCounted = false

    init(
        index: Int,
        room: Int,
        roomOccupants: Int,
        worker: LoadWorker,
        templates: StanzaTemplates,
        transport: LoadTransport,
        focus: FocusState? = nil
    ) {
        self.index = index
        self.room = room
        self.roomOccupants = roomOccupants
        self.worker = worker
        self.templates = templates
        self.transport = transport
        self.focus = focus
    }

    var isActive: Bool { self.stage != .finished && self.stage != .closing }

    /// A name for the stage, for `timeout:<stage>` and `closed:<stage>`.
    var stageName: String {
        switch self.stage {
        case .connecting: return "connect"
        case .awaitingFeatures, .awaitingProceed: return "negotiation"
        case .awaitingSASL: return "sasl"
        case .awaitingBind, .awaitingSession: return "bind"
        case .awaitingConference: return "conference"
        case .awaitingJoin: return "join"
        case .joined: return self.updatesWanted > 0 ? "updates" : "joined"
        case .loggedIn: return "logged-in"
        case .closing, .finished: return "closing"
        }
    }

    // MARK: - Link events

    func linkUp(_ link: any ClientLink) {
        self.link = link
        guard self.stage == .connecting else { return }
        self.stage = .awaitingFeatures(.initial)
        link.openStream(restart: false)
    }

    func connectFailed(_ error: any Error) {
        self.fail(ErrorClassifier.condition(of: error, stage: "connect"))
    }

    /// The server ended the XML stream (`</stream:stream>`, `<close/>`, a BOSH terminate).
    func streamClosedByServer() {
        if self.stage == .closing || self.stage == .finished {
            self.link?.abort()
        } else {
            self.fail("closed:" + self.stageName)
        }
    }

    /// The connection is gone.
    func linkClosed(error: (any Error)?) {
        if self.isActive {
            if let error {
                self.fail(ErrorClassifier.condition(of: error, stage: self.stageName))
            } else {
                self.fail("closed:" + self.stageName)
            }
        }
        self.stage = .finished
        self.link = nil
        if self.connectionCounted {
            self.connectionCounted = false
            self.worker.clientDisconnected(self)
        }
    }

    /// Counts an error for this client (once) and drops its connection.
    func fail(_ condition: String) {
        guard self.isActive else { return }
        self.stage = .finished
        self.worker.clientFailed(self, condition: condition)
        self.link?.abort()
    }

    /// Ends the session politely (run teardown, or a login-only client).
    func close() {
        switch self.stage {
        case .finished, .closing:
            return
        case .connecting:
            self.stage = .finished
            self.link?.abort()
        default:
            self.stage = .closing
            if let link = self.link { link.closeStream() }
        }
    }

    // MARK: - Stanzas

    /// Handles one top-level element from the server; the answer tells the framer whether the stream restarts.
    func received(_ element: ElementView) -> XMLFramer.Action {
        if self.streamManagement.requested {
            switch self.streamManagement.received(element) {
            case .other:
                break
            case .enabled, .ignored:
                return .proceed
            case .ackRequested(let h):
                self.link?.send(self.templates.ack(h: h, allocator: ByteBufferAllocator()))
                self.worker.clientAcknowledged()
                return .proceed
            case .failed:
                self.fail("sm:failed")
                return .stop
            }
        }
        switch self.stage {
        case .awaitingFeatures(let negotiation):
            if element.isNamed("features") {
                self.handleFeatures(element, negotiation)
            } else if element.isNamed("error") {
                self.fail(ErrorClassifier.condition(of: element))
            }
            return .proceed
        case .awaitingProceed:
            if element.isNamed("proceed") {
                do {
                    try self.link?.startTLS()
                } catch {
                    self.fail("tls:setup")
                    return .stop
                }
                self.stage = .awaitingFeatures(.secured)
                self.link?.openStream(restart: true)
                return .restart
            }
            self.fail(element.isNamed("failure") ? "tls:starttls-failure" : ErrorClassifier.condition(of: element))
            return .stop
        case .awaitingSASL:
            if element.isNamed("success") {
                self.stage = .awaitingFeatures(.authenticated)
                self.link?.openStream(restart: true)
                return .restart
            }
            self.fail(
                element.isNamed("challenge") ? "sasl:unexpected-challenge" : ErrorClassifier.condition(of: element)
            )
            return .stop
        case .awaitingBind:
            if element.isNamed("iq") && element.attribute("id", is: "bind") {
                guard element.attribute("type", is: "result") else {
                    self.fail(ErrorClassifier.condition(of: element))
                    return .stop
                }
                if self.sessionRequired {
                    self.stage = .awaitingSession
                    self.link?.send(self.templates.session)
                } else {
                    self.loggedIn()
                }
            } else {
                self.other(element)
            }
            return .proceed
        case .awaitingSession:
            if element.isNamed("iq") && element.attribute("id", is: "sess") {
                guard element.attribute("type", is: "result") else {
                    self.fail(ErrorClassifier.condition(of: element))
                    return .stop
                }
                self.loggedIn()
            } else {
                self.other(element)
            }
            return .proceed
        case .awaitingConference:
            if element.isNamed("iq") && element.attribute("id", is: "conf") {
                self.conferenceAnswered(element)
            } else {
                self.other(element)
            }
            return .proceed
        case .awaitingJoin, .joined:
            if self.focus != nil {
                self.focusReceived(element)
            } else if element.isNamed("presence") {
                self.presenceReceived(element)
            } else {
                self.other(element)
            }
            return .proceed
        case .loggedIn, .closing:
            if element.isNamed("error") && self.stage != .closing { self.fail(ErrorClassifier.condition(of: element)) }
            return .proceed
        case .connecting, .finished:
            return .stop
        }
    }

    private func handleFeatures(_ features: ElementView, _ negotiation: Negotiation) {
        guard let link = self.link else { return }
        switch negotiation {
        case .initial, .secured:
            let offersTLS = features.contains("<starttls")
            // The focus, like Jicofo, takes TLS when offered, where its link can.
            if negotiation == .initial
                && (self.transport == .starttls || (self.focus != nil && offersTLS && link.supportsTLS))
            {
                guard offersTLS else {
                    self.fail("protocol:starttls-not-offered")
                    return
                }
                self.stage = .awaitingProceed
                link.send(self.templates.startTLS)
                return
            }
            if self.focus != nil || self.worker.configuration.sasl == .plain {
                guard features.contains(">PLAIN<") else {
                    self.fail("sasl:plain-not-offered")
                    return
                }
                link.send(self.plainAuth(link))
            } else {
                guard features.contains(">ANONYMOUS<") else {
                    self.fail("sasl:anonymous-not-offered")
                    return
                }
                link.send(self.templates.authAnonymous)
            }
            self.stage = .awaitingSASL
        case .authenticated:
            // RFC 3921 session establishment, only where a server still requires it (RFC 6121 dropped it).
            self.sessionRequired =
                features.contains("<session") && !features.contains("<optional") && !features.contains("optional>")
            self.stage = .awaitingBind
            link.send(self.focus != nil ? self.templates.bindFocus : self.templates.bind)
        }
    }

    private func plainAuth(_ link: any ClientLink) -> ByteBuffer {
        let configuration = self.worker.configuration
        let username: String
        let password: String
        if self.focus != nil, let jid = configuration.focusJID {
            username = String(jid.prefix(while: { $0 != "@" }))
            password = configuration.focusPassword
        } else {
            username = configuration.usernamePrefix + String(self.index)
            password = configuration.password
        }
        let payload = Base64.encode([0] + Array(username.utf8) + [0] + Array(password.utf8))
        var buffer = link.makeBuffer(capacity: 128 + payload.count)
        buffer.writeBytes(self.templates.authPlainPrefix)
        buffer.writeBytes(payload)
        buffer.writeBytes(self.templates.authPlainSuffix)
        return buffer
    }

    private func loggedIn() {
        self.worker.clientLoggedIn(self)
        if self.focus != nil {
            self.stage = .joined
            self.link?.send(self.templates.focusInitialPresence)
            self.worker.focusReady(self)
            return
        }
        if self.worker.configuration.streamManagement, let link = self.link {
            // As lib-jitsi-meet does: enable (with resumption) and go on without waiting for <enabled/>.
            self.streamManagement.enableSent()
            link.send(self.templates.enableStreamManagement)
        }
        switch self.worker.configuration.scenario {
        case .login:
            self.stage = .loggedIn
            self.worker.clientCompleted(self)
        case .jitsi:
            self.sendConferenceRequest()
        case .join, .fill, .fanout, .idle:
            self.sendJoin()
        }
    }

    func sendConferenceRequest() {
        guard let link = self.link, self.isActive else { return }
        self.stage = .awaitingConference
        if self.conferenceSentAt == 0 { self.conferenceSentAt = LoadClock.now() }
        link.send(self.templates.conferenceRequest(room: self.room, allocator: ByteBufferAllocator()))
    }

    private func conferenceAnswered(_ element: ElementView) {
        guard element.attribute("type", is: "result") else {
            self.fail(ErrorClassifier.condition(of: element))
            return
        }
        if element.contains("ready='true'") || element.contains("ready=\"true\"") {
            self.sendJoin()
        } else {
            // Jicofo's "not ready yet": lib-jitsi-meet asks again after a pause.
            self.worker.retryConference(self)
        }
    }

    private func sendJoin() {
        guard let link = self.link else { return }
        self.occupantJID = self.templates.occupantJID(room: self.room, client: self.index)
        self.stage = .awaitingJoin
        self.joinSentAt = LoadClock.now()
        link.send(
            self.templates.presence(
                room: self.room,
                client: self.index,
                payload: self.templates.joinPayload,
                allocator: ByteBufferAllocator()
            )
        )
    }

    private func presenceReceived(_ presence: ElementView) {
        let type = presence.attribute("type")
        if let type, ElementView.equal(type, "error") {
            self.fail(ErrorClassifier.condition(of: presence))
            return
        }
        let own = self.occupantJID.withUnsafeBytes { presence.attribute("from", equals: $0) }
        if let type, ElementView.equal(type, "unavailable") {
            if own && self.stage == .awaitingJoin { self.fail("stanza:join-refused") }
            return
        }
        self.presences += 1
        self.worker.presenceReceived()
        if self.updatesTracked, let tag = DeliveryTag.value(in: presence) {
            self.worker.updateReceived(tag: tag)
        }
        guard own else { return }
        if self.stage == .awaitingJoin {
            self.stage = .joined
            self.worker.clientJoined(self)
            return
        }
        // The echo of this client's last update.
        guard self.updatesSent > self.updatesEchoed else { return }
        self.updatesEchoed += 1
        self.worker.clientEchoed(self)
        if self.updatesSent < self.updatesWanted {
            self.sendUpdate()
        }
    }

    /// Sends the next presence update (fanout).
    func sendUpdate() {
        guard let link = self.link, self.stage == .joined else { return }
        let payload = self.templates.updatePayloads[self.updatesSent % self.templates.updatePayloads.count]
        // DeliveryTag: this client's updates are tags index × updates ..< (index + 1) × updates.
        let tag = self.index * self.updatesWanted + self.updatesSent
        self.updatesSent += 1
        self.updateSentAt = LoadClock.now()
        self.worker.clientSentUpdate(tag: tag, at: self.updateSentAt)
        link.send(
            self.templates.taggedPresence(
                room: self.room,
                client: self.index,
                payload: payload,
                tag: tag,
                allocator: ByteBufferAllocator()
            )
        )
    }

    /// Stanzas a scenario does not wait for: stream errors end the client, pings get their answer.
    func other(_ element: ElementView) {
        if element.isNamed("error") {
            self.fail(ErrorClassifier.condition(of: element))
        } else if element.isNamed("iq") && element.attribute("type", is: "get") && element.contains("urn:xmpp:ping") {
            self.answerPing(element)
        }
    }

    private func answerPing(_ iq: ElementView) {
        guard let link = self.link, let id = iq.attribute("id") else { return }
        var buffer = link.makeBuffer(capacity: 128)
        buffer.writeString(
            self.transport.stanzasDeclareNamespace
                ? "<iq xmlns='jabber:client' type='result' id=" : "<iq type='result' id="
        )
        Self.writeQuoted(id, into: &buffer)
        if let from = iq.attribute("from") {
            buffer.writeString(" to=")
            Self.writeQuoted(from, into: &buffer)
        }
        buffer.writeString("/>")
        link.send(buffer)
    }

    /// Writes a raw attribute value (still escaped as received) between quotes that it does not contain.
    static func writeQuoted(_ value: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        let quote = value.contains(UInt8(ascii: "'")) ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        buffer.writeInteger(quote)
        buffer.writeBytes(value)
        buffer.writeInteger(quote)
    }
}
