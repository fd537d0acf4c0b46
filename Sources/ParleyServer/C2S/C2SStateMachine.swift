import Foundation
import ParleyCore
import ParleyTransports
import ParleyXML

/// The client-to-server stream (RFC 6120 §4–§7): stream headers, STARTTLS, SASL, resource binding,
/// then stanzas. A pure struct: events in, `C2SAction`s out. TCP, WebSocket and BOSH drive the same machine.
///
/// The machine does no I/O: where it needs the world (stored credentials, a token's verification, a hibernated
/// session) it returns an action and takes the answer as an event (`credentialsLookedUp`, `tokenVerified`,
/// `resumed`, `resumeFailed`). Everything it can
/// decide alone it decides at once: `<starttls/>` moves to the TLS stream as it answers `<proceed/>`, and a bind
/// request becomes the session's full JID, its registration and its result in one step.
///
/// ```
/// awaitingHeader ─header─▶ negotiating ─<starttls/>─▶ (TLS) awaitingHeader
///                          negotiating ─<auth/>─▶ [awaitingCredentials ─▶] authenticating ─success─▶ awaitingHeader
///                          negotiating ─<auth ANONYMOUS/> on a token host─▶ awaitingToken ─success─▶ awaitingHeader
///                          negotiating (authenticated) ─bind─▶ bound ─▶ closed
///                          negotiating (authenticated) ─<resume/>─▶ resuming ─▶ bound
/// ```
struct C2SStateMachine {
    enum State {
        case awaitingHeader
        case negotiating
        /// Waiting for the client's next SASL response. (Indirect, like the next: an exchange is large and short-lived,
        /// and a bound session's state need not keep room for one.)
        indirect case authenticating(SASLExchange)
        /// Waiting for the session to answer `.lookUpCredentials`.
        indirect case awaitingCredentials(SASLExchange)
        /// Waiting for the session to answer `.verifyToken` (SASL ANONYMOUS on a token host).
        case awaitingToken
        /// Waiting for the session to answer `.resume` (XEP-0198 §5).
        case resuming
        case bound(JID)
        case closed
    }

    /// An unfinished SASL exchange.
    enum SASLExchange {
        case scram(SCRAMServer)
        case plain(SASLPlainServer)
    }

    struct Configuration {
        var hosts: [String: HostConfiguration]
        /// TLS can be offered (a certificate is loaded and the transport can add it).
        var tlsAvailable: Bool
        var requireEncryption: Bool
        /// The connection is exempt from `requireEncryption` (loopback, or a transport secured in front,
        /// like BOSH/WebSocket behind nginx).
        var encryptionExempt: Bool
        /// Failed SASL attempts before the stream is closed.
        var maxAuthFailures = 5
        /// Offer XEP-0198 stream management after authentication (TCP and WebSocket, not BOSH).
        var offerStreamManagement = false
        /// The username SASL ANONYMOUS gives: a hibernated session's, when the client resumes it
        /// (Jitsi's `jitsi-anonymous` with `previd`); otherwise random.
        var anonymousUsername: String? = nil
        /// `parley serve --seed`: stream ids, bound resources and anonymous usernames drawn from the seed.
        var identifiers: SeededIdentifiers? = nil
        /// The hosts boxed once for every session (`C2SContext.hostBoxes`); a host missing here is boxed per session.
        var hostBoxes: [String: Boxed<HostConfiguration>] = [:]
        /// The `token` query parameter of the web session's URL (Jitsi's `session.auth_token`); nil on TCP.
        var token: String? = nil
    }

    var state: State = .awaitingHeader
    private(set) var secured: Bool
    /// The host the stream is for, once its header named one (boxed: `Boxed`).
    var host: HostConfiguration? { self.hostBox?.value }
    private var hostBox: Boxed<HostConfiguration>?
    private(set) var user: JID?
    private(set) var headerWasSent = false
    private(set) var authFailures = 0
    /// What the session's verified token says, after a token login with one (Jitsi's `jitsi_meet_*` fields).
    var tokenClaims: TokenClaims? { self.tokenClaimsBox?.value }
    private var tokenClaimsBox: Boxed<TokenClaims>?
    private let configuration: Configuration

    init(configuration: Configuration, secured: Bool) {
        self.configuration = configuration
        self.secured = secured
    }

    var isBound: Bool {
        if case .bound = self.state { return true }
        return false
    }

    /// The stream is over: no input is taken, and `.close` has been asked for (once).
    var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    var boundJID: JID? {
        if case .bound(let jid) = self.state { return jid }
        return nil
    }

    // MARK: - Events

    mutating func streamOpened(_ header: XMLStreamHeader) -> [C2SAction] {
        guard case .awaitingHeader = self.state else {
            return self.fail(StreamError(.invalidXML, text: "Unexpected stream header"))
        }
        var actions: [C2SAction] = []
        let to = self.addressedHost(header[attribute: "to"])
        let hostName = to?.domain ?? self.host?.domain ?? self.configuration.hosts.keys.sorted().first ?? "localhost"
        actions.append(
            .sendStreamHeader(
                id: self.configuration.identifiers?.string(
                    "stream",
                    count: 16,
                    alphabet: SecureRandom.lowercaseAlphanumerics
                ) ?? SecureRandom.string(count: 16, alphabet: SecureRandom.lowercaseAlphanumerics),
                host: hostName
            )
        )
        self.headerWasSent = true
        guard header.namespace == Namespace.streams, header.name == "stream" else {
            return actions
                + self.fail(
                    StreamError(
                        .invalidNamespace,
                        text: "The stream element must be <stream:stream> in \(Namespace.streams)"
                    )
                )
        }
        guard header.defaultNamespace == Namespace.client else {
            return actions
                + self.fail(StreamError(.invalidNamespace, text: "The content namespace must be \(Namespace.client)"))
        }
        guard let version = header[attribute: "version"], version.hasPrefix("1.") else {
            return actions + self.fail(StreamError(.unsupportedVersion, text: "XMPP version 1.0 is required"))
        }
        guard let to, to.isDomainOnly, let host = self.configuration.hosts[to.domain] else {
            return actions + self.fail(StreamError(.hostUnknown, text: "This server does not serve that host"))
        }
        if let previous = self.host, previous.domain != host.domain {
            return actions + self.fail(StreamError(.hostUnknown, text: "The host may not change on a stream restart"))
        }
        if self.hostBox == nil { self.hostBox = self.configuration.hostBoxes[to.domain] ?? Boxed(host) }
        self.state = .negotiating
        actions.append(.sendPrepared(self.features(for: host)))
        return actions
    }

    /// The header's `to` (RFC 6120 §4.7.2) as a domain, and whether it was only a domain. A served host's name as
    /// configured is already a prepared domainpart (RFC 7622 §3.2; `ConfigurationParser.domain`), so the common case
    /// is one lookup; anything else is parsed and prepared as a JID.
    private func addressedHost(_ value: String?) -> (domain: String, isDomainOnly: Bool)? {
        guard let value else { return nil }
        if self.configuration.hosts[value] != nil { return (value, true) }
        guard let jid = try? JID(value) else { return nil }
        return (jid.domainpart, jid.localpart == nil && jid.resourcepart == nil)
    }

    mutating func streamClosed() -> [C2SAction] {
        self.close(nil)
    }

    /// Ends the stream from the server's side (a conflict, a shutdown, a resumed session's old connection):
    /// `.close` once, nothing when the stream is already over.
    mutating func close(_ error: StreamError?) -> [C2SAction] {
        guard !self.isClosed else { return [] }
        self.state = .closed
        return [.close(error)]
    }

    /// Feeds one top-level element.
    mutating func receive(_ element: XMLElement) -> [C2SAction] {
        switch self.state {
        case .awaitingHeader, .closed:
            return self.fail(StreamError(.notAuthorized, text: "No stream is open"))
        case .negotiating:
            return self.negotiate(element)
        case .authenticating(let exchange):
            return self.continueSASL(element, exchange)
        case .awaitingCredentials, .awaitingToken:
            return self.fail(StreamError(.policyViolation, text: "Wait for the SASL result"))
        case .resuming:
            return self.fail(StreamError(.policyViolation, text: "Wait for the resumption result"))
        case .bound(let jid):
            if element.namespace == Namespace.streamManagement { return [.streamManagement(element)] }
            return self.stanza(element, from: jid)
        }
    }

    /// The session found the hibernated session `.resume` asked for and took it over under `jid` (XEP-0198 §5).
    mutating func resumed(_ jid: JID) {
        guard case .resuming = self.state else { return }
        self.state = .bound(jid)
    }

    /// Resumption failed: the client may bind instead (XEP-0198 §5, `<failed/>` with `item-not-found`).
    mutating func resumeFailed() -> [C2SAction] {
        guard case .resuming = self.state else { return [] }
        self.state = .negotiating
        var failed = XMLElement(name: "failed", namespace: Namespace.streamManagement)
        failed.append(XMLElement(name: "item-not-found", namespace: Namespace.stanzaErrors))
        return [.send(failed)]
    }

    var anonymousUsername: String {
        self.configuration.anonymousUsername
            ?? self.configuration.identifiers?.string(
                "anonymous",
                count: 16,
                alphabet: SecureRandom.lowercaseAlphanumerics
            )
            ?? SASLAnonymous.randomUsername()
    }

    /// The web session's `?token=` (nil when the URL had none, and on TCP).
    var sessionToken: String? { self.configuration.token }

    mutating func noteVerifiedToken(_ claims: TokenClaims?) { self.tokenClaimsBox = claims.map(Boxed.init) }

    // MARK: - Negotiation

    var encryptionRequired: Bool {
        guard !self.configuration.encryptionExempt else { return false }
        return self.host?.requireEncryption ?? self.configuration.requireEncryption
    }

    mutating func markAuthenticated(_ jid: JID) {
        self.user = jid
        self.state = .awaitingHeader
        self.headerWasSent = false  // the stream after SASL success is a new stream (§6.4.6)
    }

    mutating func noteAuthFailure() { self.authFailures += 1 }

    var tooManyAuthFailures: Bool { self.authFailures >= self.configuration.maxAuthFailures }

    // MARK: - Stanzas (RFC 6120 §8, §10)

    private mutating func stanza(_ element: XMLElement, from jid: JID) -> [C2SAction] {
        var stanza: Stanza
        do {
            stanza = try Stanza(element)
        } catch {
            switch error {
            case .notAStanza:
                return self.fail(
                    StreamError(.unsupportedStanzaType, text: "Unknown top-level element <\(element.name)>")
                )
            case .invalid(let stanzaError, let original):
                guard original[attribute: "type"] != "error" else { return [] }
                var reply = XMLElement(name: original.name, namespace: Namespace.client)
                if let id = original[attribute: "id"] { reply[attribute: "id"] = id }
                reply[attribute: "type"] = "error"
                reply[attribute: "to"] = jid.description
                reply.append(stanzaError.element)
                return [.send(reply)]
            }
        }
        // RFC 6120 §8.1.2.1: a `from` other than the client's own address is a stream error.
        if let from = stanza.from, from != jid, from != jid.bare {
            return self.fail(StreamError(.invalidFrom, text: "The from address does not match this session"))
        }
        stanza.from = jid
        if stanza.kind == .presence, stanza.to != nil, self.host?.authentication == .token {
            stanza = PresenceIdentity.apply(to: stanza, claims: self.tokenClaims)
        }
        if stanza.kind == .presence && stanza.to == nil {
            return [.broadcastPresence(stanza)]
        }
        return [.route(stanza)]
    }

    /// Stream features (RFC 6120 §4.3.2), from the process's `StreamFeaturesCache`.
    private func features(for host: HostConfiguration) -> PreparedStreamElement {
        let key = StreamFeaturesCache.Key(
            authenticated: self.user != nil,
            offersStreamManagement: self.configuration.offerStreamManagement,
            secured: self.secured,
            tlsAvailable: self.configuration.tlsAvailable,
            encryptionRequired: self.encryptionRequired,
            mechanisms: host.mechanisms
        )
        return StreamFeaturesCache.shared.features(for: key) { Self.features(key) }
    }

    /// Stream features (RFC 6120 §4.3.2): STARTTLS first; SASL once TLS is done or not required;
    /// bind and session after authentication.
    static func features(_ key: StreamFeaturesCache.Key) -> XMLElement {
        var features = XMLElement(name: "features", namespace: Namespace.streams)
        if key.authenticated {
            features.append(XMLElement(name: "bind", namespace: Namespace.bind))
            var session = XMLElement(name: "session", namespace: Namespace.session)
            session.append(XMLElement(name: "optional", namespace: Namespace.session))
            features.append(session)
            if key.offersStreamManagement {
                features.append(XMLElement(name: "sm", namespace: Namespace.streamManagement))
            }
            return features
        }
        if !key.secured && key.tlsAvailable {
            var starttls = XMLElement(name: "starttls", namespace: Namespace.tls)
            if key.encryptionRequired { starttls.append(XMLElement(name: "required", namespace: Namespace.tls)) }
            features.append(starttls)
            if key.encryptionRequired { return features }
        }
        if key.secured || !key.encryptionRequired {
            var mechanisms = XMLElement(name: "mechanisms", namespace: Namespace.sasl)
            for mechanism in key.mechanisms {
                var m = XMLElement(name: "mechanism", namespace: Namespace.sasl)
                m.append(text: mechanism.rawValue)
                mechanisms.append(m)
            }
            features.append(mechanisms)
        }
        return features
    }

    private mutating func negotiate(_ element: XMLElement) -> [C2SAction] {
        switch (element.namespace, element.name) {
        case (Namespace.tls, "starttls"):
            guard !self.secured, self.configuration.tlsAvailable, self.user == nil else {
                return self.fail(StreamError(.policyViolation, text: "STARTTLS is not available now"))
            }
            // The next bytes are the TLS handshake, and after it the client opens a new stream (§5.4.3.3).
            self.state = .awaitingHeader
            self.secured = true
            self.headerWasSent = false
            return [.send(XMLElement(name: "proceed", namespace: Namespace.tls)), .startTLS]
        case (Namespace.sasl, "auth"):
            guard self.user == nil else {
                return self.fail(StreamError(.policyViolation, text: "Already authenticated"))
            }
            return self.startSASL(element)
        case (Namespace.client, "iq") where self.user != nil:
            return self.bindOrSession(element)
        case (Namespace.streamManagement, "resume") where self.user != nil && self.configuration.offerStreamManagement:
            guard let user = self.user, let previd = element[attribute: "previd"],
                let h = element[attribute: "h"].flatMap(UInt32.init)
            else {
                self.state = .resuming
                return self.resumeFailed()
            }
            self.state = .resuming
            return [.resume(previd: previd, h: h, user: user)]
        case (Namespace.streamManagement, _):
            var failed = XMLElement(name: "failed", namespace: Namespace.streamManagement)
            failed.append(XMLElement(name: "unexpected-request", namespace: Namespace.stanzaErrors))
            return [.send(failed)]
        case (Namespace.client, _):
            return self.fail(
                StreamError(.notAuthorized, text: "Authenticate and bind a resource before sending stanzas")
            )
        default:
            return self.fail(StreamError(.unsupportedStanzaType, text: "Unexpected element during negotiation"))
        }
    }

    private mutating func bindOrSession(_ element: XMLElement) -> [C2SAction] {
        let stanza: Stanza
        do {
            stanza = try Stanza(element)
        } catch {
            return self.fail(StreamError(.notAuthorized, text: "Bind a resource before sending stanzas"))
        }
        guard stanza.type == "set", let payload = stanza.payload else {
            return self.fail(StreamError(.notAuthorized, text: "Bind a resource before sending stanzas"))
        }
        switch (payload.namespace, payload.name) {
        case (Namespace.bind, "bind"):
            return self.bind(payload.child("resource", namespace: Namespace.bind)?.text, request: stanza)
        case (Namespace.session, "session"):
            var reply = stanza.resultReply()
            reply.from = nil
            return [.send(reply.element)]
        default:
            return self.fail(StreamError(.notAuthorized, text: "Bind a resource before sending stanzas"))
        }
    }

    /// RFC 6120 §7.6: the client's resource, or one the server makes (12 random characters); the session is
    /// registered under the full JID and the result names it. An invalid resource gets `bad-request` (§7.7.2.1).
    private mutating func bind(_ requested: String?, request: Stanza) -> [C2SAction] {
        guard let user = self.user else { return self.fail(StreamError(.notAuthorized)) }
        let resource =
            requested.flatMap { $0.isEmpty ? nil : $0 }
            ?? self.configuration.identifiers?.string("resource", count: 12, alphabet: SecureRandom.identifierAlphabet)
            ?? SecureRandom.string(count: 12, alphabet: SecureRandom.identifierAlphabet)
        let jid: JID
        do {
            jid = try user.with(resource: resource)
        } catch {
            var reply = request.errorReply(StanzaError(.badRequest, text: "Invalid resource: \(error)"))
            reply.from = nil
            reply.to = nil
            return [.send(reply.element)]
        }
        self.state = .bound(jid)
        var bind = XMLElement(name: "bind", namespace: Namespace.bind)
        var jidElement = XMLElement(name: "jid", namespace: Namespace.bind)
        jidElement.append(text: jid.description)
        bind.append(jidElement)
        var reply = request.resultReply(bind)
        reply.from = nil
        reply.to = jid
        return [.bind(jid), .send(reply.element)]
    }

    /// A stream error: the stream is over (RFC 6120 §4.9).
    mutating func fail(_ error: StreamError) -> [C2SAction] {
        self.close(error)
    }
}
