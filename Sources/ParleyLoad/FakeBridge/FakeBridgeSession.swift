import Foundation
import ParleyXML

/// The fake bridge's client side of RFC 6120, as a pure state machine: STARTTLS, SASL PLAIN, bind, then the brewery
/// join with stats presence (JVB's `MucClient`), then Colibri2 answers. Stream events in, actions out.
public struct FakeBridgeSession: Sendable {
    public struct Configuration: Sendable {
        public var domain: String
        public var username: String
        public var password: String
        /// `jvbbrewery@internal-muc.meet.jitsi`.
        public var brewery: String
        /// The bridge's nick in the brewery (JVB: its hostname).
        public var nick: String
        public var region: String?
        public var seed: UInt64

        public init(
            domain: String,
            username: String,
            password: String,
            brewery: String,
            nick: String,
            region: String? = nil,
            seed: UInt64
        ) {
            self.domain = domain
            self.username = username
            self.password = password
            self.brewery = brewery
            self.nick = nick
            self.region = region
            self.seed = seed
        }
    }

    public enum Action: Sendable, Equatable {
        /// Opens a (new) stream: the header.
        case openStream
        /// Inserts TLS in front, then the stream restarts.
        case startTLS
        /// Resets the parser for the stream the server restarts (after SASL).
        case restartStream
        case send(XMLElement)
        /// One JSON line for the test to read.
        case report(String)
        /// Gives up: the reason.
        case fail(String)
    }

    enum Stage: Sendable, Equatable {
        case awaitingFeatures(secured: Bool, authenticated: Bool)
        case awaitingProceed
        case awaitingSASL
        case awaitingBind
        case awaitingJoin
        case serving
        case failed
    }

    public let configuration: Configuration
    private(set) var stage: Stage = .awaitingFeatures(secured: false, authenticated: false)
    public private(set) var bridge: ColibriBridge
    public private(set) var fullJID: String?

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.bridge = ColibriBridge(name: configuration.nick, seed: configuration.seed)
    }

    var occupant: String { "\(self.configuration.brewery)/\(self.configuration.nick)" }

    static let streams = "http://etherx.jabber.org/streams"
    static let tls = "urn:ietf:params:xml:ns:xmpp-tls"
    static let sasl = "urn:ietf:params:xml:ns:xmpp-sasl"
    static let bind = "urn:ietf:params:xml:ns:xmpp-bind"
    static let mucUser = "http://jabber.org/protocol/muc#user"

    /// The stream header to send (a new stream: at the start, after TLS, after SASL).
    public var streamHeader: String {
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='\(Self.streams)' to='"
            + XMLEscaping.escaped(self.configuration.domain) + "' version='1.0'>"
    }

    /// The stats presence again (JVB sends it every few seconds; Jicofo reads the stress level from it).
    public var statsPresence: XMLElement? {
        guard self.stage == .serving else { return nil }
        return self.bridge.statsPresence(to: self.occupant, join: false, region: self.configuration.region)
    }

    public mutating func received(_ element: XMLElement) -> [Action] {
        switch self.stage {
        case .awaitingFeatures(let secured, let authenticated):
            guard element.name == "features", element.namespace == Self.streams else { return [] }
            if !secured {
                guard element.child("starttls", namespace: Self.tls) != nil else {
                    return self.fail("the server offers no STARTTLS")
                }
                self.stage = .awaitingProceed
                return [.send(XMLElement(name: "starttls", namespace: Self.tls))]
            }
            if !authenticated {
                let mechanisms = element.child("mechanisms", namespace: Self.sasl)?.elements.map(\.text) ?? []
                guard mechanisms.contains("PLAIN") else { return self.fail("the server offers no SASL PLAIN") }
                var auth = XMLElement("auth", ns: Self.sasl, [("mechanism", "PLAIN")])
                let credentials = Array(("\0" + self.configuration.username + "\0" + self.configuration.password).utf8)
                auth.append(text: Data(credentials).base64EncodedString())
                self.stage = .awaitingSASL
                return [.send(auth)]
            }
            var iq = XMLElement("iq", ns: "jabber:client", [("type", "set"), ("id", "bind-1")])
            iq.append(XMLElement(name: "bind", namespace: Self.bind))
            self.stage = .awaitingBind
            return [.send(iq)]
        case .awaitingProceed:
            guard element.name == "proceed", element.namespace == Self.tls else {
                return self.fail("STARTTLS refused: \(element.name)")
            }
            self.stage = .awaitingFeatures(secured: true, authenticated: false)
            return [.startTLS, .openStream]
        case .awaitingSASL:
            guard element.name == "success", element.namespace == Self.sasl else {
                return self.fail("SASL PLAIN refused for \(self.configuration.username)@\(self.configuration.domain)")
            }
            self.stage = .awaitingFeatures(secured: true, authenticated: true)
            return [.restartStream, .openStream]
        case .awaitingBind:
            guard element.name == "iq", element[attribute: "id"] == "bind-1" else { return [] }
            guard element[attribute: "type"] == "result",
                let jid = element.child("bind", namespace: Self.bind)?.child("jid")?.text
            else { return self.fail("bind refused") }
            self.fullJID = jid
            self.stage = .awaitingJoin
            let join = self.bridge.statsPresence(to: self.occupant, join: true, region: self.configuration.region)
            return [.report(Self.json(["event": "connected", "jid": jid])), .send(join)]
        case .awaitingJoin:
            guard element.name == "presence", element[attribute: "from"] == self.occupant else { return [] }
            guard element[attribute: "type"] != "error" else {
                let condition = element.child("error")?.elements.first?.name ?? "error"
                return self.fail("the brewery refused the join: \(condition)")
            }
            let codes = element.child("x", namespace: Self.mucUser)?.elements.compactMap { $0[attribute: "code"] } ?? []
            guard codes.contains("110") else { return [] }
            self.stage = .serving
            return [
                .report(
                    Self.json([
                        "event": "joined", "brewery": self.configuration.brewery, "nick": self.configuration.nick,
                    ])
                )
            ]
        case .serving:
            return self.serve(element)
        case .failed:
            return []
        }
    }

    /// The server closed the stream.
    public mutating func closed() -> [Action] {
        guard self.stage != .failed else { return [] }
        return self.fail("the server closed the stream")
    }

    private mutating func serve(_ element: XMLElement) -> [Action] {
        guard element.name == "iq" else { return [] }
        if ColibriBridge.isRequest(element) {
            let (reply, report) = self.bridge.handle(element)
            var fields: [String: Any] = [
                "event": "conference-modify",
                "meeting_id": report.meetingID,
                "from": element[attribute: "from"] ?? "",
                "created": report.created,
                "expired": report.expired,
                "endpoints_created": report.endpointsCreated,
                "endpoints_updated": report.endpointsUpdated,
                "endpoints_expired": report.endpointsExpired,
            ]
            if let name = report.conferenceName { fields["name"] = name }
            if let error = report.error { fields["error"] = error }
            let presence = self.bridge.statsPresence(to: self.occupant, join: false, region: self.configuration.region)
            return [.send(reply), .report(Self.json(fields)), .send(presence)]
        }
        guard element[attribute: "type"] == "get" || element[attribute: "type"] == "set" else { return [] }
        if element.child("ping", namespace: "urn:xmpp:ping") != nil {
            return [
                .send(
                    XMLElement(
                        "iq",
                        ns: "jabber:client",
                        [("type", "result"), ("id", element[attribute: "id"]), ("to", element[attribute: "from"])]
                    )
                )
            ]
        }
        return [.send(ColibriBridge.error(element, "feature-not-implemented", "The fake bridge answers Colibri2 only"))]
    }

    private mutating func fail(_ reason: String) -> [Action] {
        self.stage = .failed
        return [.report(Self.json(["event": "failed", "reason": reason])), .fail(reason)]
    }

    /// One JSON object on one line, keys sorted.
    static func json(_ fields: [String: Any]) -> String {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: fields,
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
