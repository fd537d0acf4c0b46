import ParleyCore
import ParleyXML

/// XEP-0198 stream management as a pure state machine: `<enable/>`, `<r/>` and `<a/>` in, what to send out;
/// the counters (§4) and the stanzas the client has not acknowledged; whether a dropped connection hibernates
/// (§5), what a hibernating session keeps, and what a resumption sends again. `C2SSession` performs the actions.
struct StreamManagementState: Sendable {
    /// What the session does for one stream-management element.
    enum Action: Sendable, Equatable {
        /// Write this element to the client.
        case send(XMLElement)
        /// Register the session for resumption under this id (§5), before `<enabled/>` is sent.
        case registerResumption(id: String)
        /// Close the stream with this error.
        case close(StreamError)
    }

    var enabled = false
    var resumable = false
    /// The resumption id (`[A-Za-z0-9_-]+`, Jitsi's client edits it into a URL with `(previd=)([\w-]+)`).
    var id: String?
    /// Stanzas received from the client (the `h` we report), modulo 2^32 (§4).
    var handledInbound: UInt32 = 0
    /// Stanzas sent to the client so far, modulo 2^32.
    var sentOutbound: UInt32 = 0
    /// Sent but not acknowledged, oldest first, with their sequence numbers.
    var unacked: [(sequence: UInt32, item: Unacked)] = []

    /// A stanza kept until the client acknowledges it: a delivered `Stanza` as it was (its shared broadcast bytes
    /// included, so keeping it copies nothing per recipient), or an element the session made for this client.
    enum Unacked: Sendable {
        case stanza(Stanza)
        case element(XMLElement)

        /// The element as written out (for tests and replays without shared bytes).
        var element: XMLElement {
            switch self {
            case .stanza(let stanza): stanza.element
            case .element(let element): element
            }
        }
    }
    /// An `<r/>` is outstanding.
    var awaitingAck = false

    /// Records an outbound stanza; returns true when it is time to ask for an ack.
    mutating func sent(_ element: XMLElement, askEvery: Int) -> Bool {
        self.sent(.element(element), askEvery: askEvery)
    }

    /// Records an outbound stanza; returns true when it is time to ask for an ack.
    mutating func sent(_ item: Unacked, askEvery: Int) -> Bool {
        guard self.enabled else { return false }
        self.sentOutbound &+= 1
        self.unacked.append((self.sentOutbound, item))
        if !self.awaitingAck && self.unacked.count >= askEvery {
            self.awaitingAck = true
            return true
        }
        return false
    }

    /// The client acknowledged everything up to `h`. Returns false when `h` acknowledges more than was sent.
    mutating func acknowledged(_ h: UInt32) -> Bool {
        self.awaitingAck = false
        let outstanding = UInt32(truncatingIfNeeded: self.unacked.count)
        let acknowledged = h &- (self.sentOutbound &- outstanding)
        guard acknowledged <= outstanding else { return false }
        self.unacked.removeFirst(Int(acknowledged))
        return true
    }

    /// An element of the stream-management namespace on a bound stream (§3–§4). `canEnable`: the transport keeps
    /// the stream (not BOSH); `makeID` draws a resumption id; `maxSeconds` is the hibernation window offered.
    mutating func receive(
        _ element: XMLElement,
        canEnable: Bool,
        maxSeconds: Int,
        makeID: () -> String
    ) -> [Action] {
        switch element.name {
        case "enable":
            guard !self.enabled, canEnable else { return [.send(Self.failed("unexpected-request"))] }
            self.enabled = true
            var enabled = XMLElement(name: "enabled", namespace: Namespace.streamManagement)
            var actions: [Action] = []
            if element[attribute: "resume"] == "true" || element[attribute: "resume"] == "1" {
                let id = makeID()
                self.resumable = true
                self.id = id
                actions.append(.registerResumption(id: id))
                enabled[attribute: "id"] = id
                enabled[attribute: "resume"] = "true"
                enabled[attribute: "max"] = String(maxSeconds)
            }
            return actions + [.send(enabled)]
        case "r":
            guard self.enabled else { return [] }
            return [.send(XMLElement("a", ns: Namespace.streamManagement, [("h", String(self.handledInbound))]))]
        case "a":
            guard self.enabled, let h = element[attribute: "h"].flatMap(UInt32.init) else { return [] }
            guard self.acknowledged(h) else {
                // §4: acknowledging more than was sent is a protocol violation.
                return [
                    .close(StreamError(.undefinedCondition, text: "The client acknowledged stanzas it was never sent"))
                ]
            }
            return []
        default:
            return [.send(Self.failed("feature-not-implemented"))]
        }
    }

    /// Counts a stanza received from the client (the `h` it will be told).
    mutating func received(_ element: XMLElement) {
        if self.enabled, Self.isStanza(element) { self.handledInbound &+= 1 }
    }

    /// §5: a connection that drops without closing its stream keeps its session for the hibernation window,
    /// when the client asked for resumption.
    func hibernates(abrupt: Bool) -> Bool { abrupt && self.resumable && self.id != nil }

    /// A stanza for a hibernating session: kept for the resumed connection. False once more than `limit` wait:
    /// the session then ends rather than grow without bound.
    mutating func keepWhileHibernating(_ stanza: Stanza, limit: Int) -> Bool {
        _ = self.sent(.stanza(stanza), askEvery: Int.max)
        return self.unacked.count <= limit
    }

    /// A resumption (§5) with the client's `h`: `<resumed/>`, then every stanza the client has not acknowledged,
    /// in order.
    mutating func resume(previd: String, clientH: UInt32) -> [Unacked] {
        self.awaitingAck = false
        _ = self.acknowledged(clientH)
        let resumed = XMLElement(
            "resumed",
            ns: Namespace.streamManagement,
            [("previd", previd), ("h", String(self.handledInbound))]
        )
        return [.element(resumed)] + self.unacked.map(\.item)
    }

    static func failed(_ condition: String) -> XMLElement {
        var failed = XMLElement(name: "failed", namespace: Namespace.streamManagement)
        failed.append(XMLElement(name: condition, namespace: Namespace.stanzaErrors))
        return failed
    }

    static func isStanza(_ element: XMLElement) -> Bool {
        element.namespace == Namespace.client
            && (element.name == "message" || element.name == "presence" || element.name == "iq")
    }

    static let idAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".utf8)
}
