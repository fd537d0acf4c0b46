import Foundation
import ParleyXML

/// What `parley fake-bridge` answers as a videobridge would: Colibri2 `conference-modify` requests from Jicofo
/// (jitsi-xmpp-extensions `colibri2/ConferenceModifyIQ`, sent to the bridge's occupant JID in the brewery) get a
/// `conference-modified` result with, per endpoint created, an ICE-UDP transport (ufrag, pwd, DTLS fingerprint, a
/// host candidate, the bridge channel's `web-socket` URL) and SCTP when asked, and, for a new conference, the
/// bridge's feedback sources. That is what Jicofo needs to invite participants (its `Colibri2Session`). No media
/// flows: the addresses are placeholders. Pure: an IQ in, the reply and a report out.
///
/// ```
/// J → B: <iq type='get'><conference-modify xmlns='jitsi:colibri2' meeting-id='…' create='true'>
///          <endpoint id='3f9a1c7e' create='true'><transport ice-controlling='true'><sctp/></transport>…
/// B → J: <iq type='result'><conference-modified xmlns='jitsi:colibri2'>
///          <sources><media-source type='audio' id='jvb-a0'><source ssrc='…' name='jvb-a0'/></media-source>…</sources>
///          <endpoint id='3f9a1c7e'><transport><transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag pwd>
///            <fingerprint/><candidate/><web-socket/></transport><sctp role='server' port='5000'/></transport></endpoint>
/// ```
public struct ColibriBridge: Sendable {
    /// Endpoint ids by conference (meeting id).
    public private(set) var conferences: [String: Set<String>] = [:]
    private var random: SeededRandom
    /// The bridge's name in its channel URLs (its brewery nick).
    let name: String

    public init(name: String, seed: UInt64) {
        self.name = name
        self.random = SeededRandom(seed: seed)
    }

    static let colibri2 = "jitsi:colibri2"
    static let iceUDP = "urn:xmpp:jingle:transports:ice-udp:1"
    static let dtls = "urn:xmpp:jingle:apps:dtls:0"
    static let colibri = "http://jitsi.org/protocol/colibri"
    static let ssma = "urn:xmpp:jingle:apps:rtp:ssma:0"
    static let stanzaErrors = "urn:ietf:params:xml:ns:xmpp-stanzas"

    /// What the bridge did with one request, for the JSON line `parley fake-bridge` prints.
    public struct Report: Sendable, Hashable {
        public var meetingID: String
        public var conferenceName: String?
        public var created = false
        public var expired = false
        public var endpointsCreated: [String] = []
        public var endpointsUpdated: [String] = []
        public var endpointsExpired: [String] = []
        public var error: String?
    }

    /// Whether `iq` is a Colibri2 request for this bridge.
    public static func isRequest(_ iq: XMLElement) -> Bool {
        iq.name == "iq" && (iq[attribute: "type"] == "get" || iq[attribute: "type"] == "set")
            && iq.child("conference-modify", namespace: Self.colibri2) != nil
    }

    /// Answers a `conference-modify` IQ (`isRequest`): the result, or an error as the bridge gives it.
    public mutating func handle(_ iq: XMLElement) -> (reply: XMLElement, report: Report) {
        guard let request = iq.child("conference-modify", namespace: Self.colibri2),
            let meetingID = request[attribute: "meeting-id"], !meetingID.isEmpty
        else {
            return (Self.error(iq, "bad-request", "conference-modify needs a meeting-id"), Report(meetingID: ""))
        }
        var report = Report(meetingID: meetingID, conferenceName: request[attribute: "name"])
        let create = request[attribute: "create"] == "true"
        var endpoints: Set<String>
        if create {
            guard self.conferences[meetingID] == nil else {
                report.error = "conflict"
                return (Self.error(iq, "conflict", "Conference already exists"), report)
            }
            endpoints = []
            report.created = true
        } else {
            guard let existing = self.conferences[meetingID] else {
                report.error = "item-not-found"
                return (Self.error(iq, "item-not-found", "Conference not found"), report)
            }
            endpoints = existing
        }
        var modified = XMLElement(name: "conference-modified", namespace: Self.colibri2)
        if request[attribute: "expire"] == "true" {
            self.conferences[meetingID] = nil
            report.expired = true
            return (Self.result(iq, modified), report)
        }
        if create { modified.append(self.feedbackSources()) }
        for endpoint in request.elements where endpoint.name == "endpoint" && endpoint.namespace == Self.colibri2 {
            guard let id = endpoint[attribute: "id"], !id.isEmpty else {
                report.error = "bad-request"
                return (Self.error(iq, "bad-request", "An endpoint needs an id"), report)
            }
            var answer = XMLElement("endpoint", ns: Self.colibri2, [("id", id)])
            if endpoint[attribute: "expire"] == "true" {
                endpoints.remove(id)
                answer[attribute: "expire"] = "true"
                report.endpointsExpired.append(id)
            } else if endpoint[attribute: "create"] == "true" {
                guard !endpoints.contains(id) else {
                    report.error = "conflict"
                    return (Self.error(iq, "conflict", "Endpoint with ID \(id) already exists"), report)
                }
                guard let transport = endpoint.child("transport", namespace: Self.colibri2) else {
                    report.error = "bad-request"
                    return (
                        Self.error(iq, "bad-request", "Attempt to create endpoint \(id) with no <transport>"), report
                    )
                }
                endpoints.insert(id)
                answer.append(self.transport(meetingID: meetingID, endpoint: id, sctp: transport.child("sctp") != nil))
                report.endpointsCreated.append(id)
            } else {
                guard endpoints.contains(id) else {
                    report.error = "item-not-found"
                    return (Self.error(iq, "item-not-found", "Unknown endpoint \(id)"), report)
                }
                report.endpointsUpdated.append(id)
            }
            modified.append(answer)
        }
        if !create && endpoints.isEmpty {
            self.conferences[meetingID] = nil
            report.expired = true
        } else {
            self.conferences[meetingID] = endpoints
        }
        return (Self.result(iq, modified), report)
    }

    /// The number of endpoints in all conferences.
    public var endpointCount: Int { self.conferences.values.reduce(0) { $0 + $1.count } }

    // MARK: - What the bridge makes

    /// The bridge's own sources, which Jicofo forwards to every participant (jvb-a0, jvb-v0).
    private mutating func feedbackSources() -> XMLElement {
        var sources = XMLElement(name: "sources", namespace: Self.colibri2)
        for (type, id) in [("audio", "jvb-a0"), ("video", "jvb-v0")] {
            var media = XMLElement("media-source", ns: Self.colibri2, [("type", type), ("id", id)])
            let ssrc = self.random.next() % 0xFFFF_FFFE + 1
            media.append(XMLElement("source", ns: Self.ssma, [("ssrc", String(ssrc)), ("name", id)]))
            sources.append(media)
        }
        return sources
    }

    /// A bridge transport: ICE-UDP with credentials, a fingerprint, one host candidate on loopback and the bridge
    /// channel's URL; SCTP (role server, port 5000) when the request asked for it.
    private mutating func transport(meetingID: String, endpoint: String, sctp: Bool) -> XMLElement {
        let ufrag = self.random.token(count: 14)
        let pwd = self.random.token(count: 26)
        var ice = XMLElement("transport", ns: Self.iceUDP, [("ufrag", ufrag), ("pwd", pwd)])
        var fingerprint = XMLElement("fingerprint", ns: Self.dtls, [("hash", "sha-256"), ("setup", "actpass")])
        fingerprint.append(
            text: (0..<32).map { _ in String(format: "%02X", self.random.next() & 0xFF) }.joined(separator: ":")
        )
        ice.append(fingerprint)
        ice.append(
            XMLElement(
                "candidate",
                ns: Self.iceUDP,
                [
                    ("component", "1"), ("foundation", "1"), ("generation", "0"), ("id", self.random.token(count: 9)),
                    ("network", "0"), ("port", "10000"), ("priority", "2130706431"), ("protocol", "udp"),
                    ("type", "host"), ("ip", "127.0.0.1"),
                ]
            )
        )
        let url = "wss://127.0.0.1/colibri-ws/\(self.name)/\(meetingID)/\(endpoint)?pwd=\(pwd)"
        ice.append(XMLElement("web-socket", ns: Self.colibri, [("url", url)]))
        var transport = XMLElement(name: "transport", namespace: Self.colibri2)
        transport.append(ice)
        if sctp { transport.append(XMLElement("sctp", ns: Self.colibri2, [("role", "server"), ("port", "5000")])) }
        return transport
    }

    private static func result(_ iq: XMLElement, _ payload: XMLElement) -> XMLElement {
        var reply = XMLElement(
            "iq",
            ns: "jabber:client",
            [("type", "result"), ("id", iq[attribute: "id"]), ("to", iq[attribute: "from"])]
        )
        reply.append(payload)
        return reply
    }

    /// An IQ error (RFC 6120 §8.3) with the condition and a text, as the bridge answers a bad request.
    static func error(_ iq: XMLElement, _ condition: String, _ text: String) -> XMLElement {
        var reply = XMLElement(
            "iq",
            ns: "jabber:client",
            [("type", "error"), ("id", iq[attribute: "id"]), ("to", iq[attribute: "from"])]
        )
        let type = condition == "bad-request" ? "modify" : "cancel"
        var error = XMLElement("error", ns: "jabber:client", [("type", type)])
        error.append(XMLElement(name: condition, namespace: Self.stanzaErrors))
        var description = XMLElement(name: "text", namespace: Self.stanzaErrors)
        description.append(text: text)
        error.append(description)
        reply.append(error)
        return reply
    }

    // MARK: - Presence

    /// The bridge's presence in the brewery (JVB's `MucPublisher`): Colibri stats, the ones Jicofo's bridge
    /// selection reads (stress, health, drain and shutdown state, version, region) and the counts.
    public func statsPresence(to occupant: String, join: Bool, region: String?) -> XMLElement {
        var presence = XMLElement("presence", ns: "jabber:client", [("to", occupant)])
        if join { presence.append(XMLElement(name: "x", namespace: "http://jabber.org/protocol/muc")) }
        var stats = XMLElement(name: "stats", namespace: Self.colibri)
        let endpoints = self.endpointCount
        var values: [(String, String)] = [
            ("stress_level", String(format: "%.4f", Double(endpoints) / 1000)),
            ("healthy", "true"), ("drain", "false"), ("graceful_shutdown", "false"), ("shutting_down", "false"),
            ("conferences", String(self.conferences.count)), ("endpoints", String(endpoints)),
            ("participants", String(endpoints)),
            ("largest_conference", String(self.conferences.values.map(\.count).max() ?? 0)),
            ("version", "parley-fake-bridge"),
        ]
        if let region { values.append(("region", region)) }
        for (name, value) in values {
            stats.append(XMLElement("stat", ns: Self.colibri, [("name", name), ("value", value)]))
        }
        presence.append(stats)
        return presence
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): repeatable numbers from a seed, for the fake bridge's credentials and
/// SSRCs. Not for anything secret.
struct SeededRandom: Sendable {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Lower-case letters and digits.
    mutating func token(count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in alphabet[Int(self.next() % UInt64(alphabet.count))] })
    }
}
