import ParleyCore
import ParleyXML

/// XEP-0198 counters and the queue of stanzas the client has not acknowledged yet. A pure value.
struct StreamManagementState: Sendable {
    var enabled = false
    var resumable = false
    /// The resumption id (`[A-Za-z0-9_-]+`, Jitsi's client edits it into a URL with `(previd=)([\w-]+)`).
    var id: String?
    /// Stanzas received from the client (the `h` we report), modulo 2^32 (§4).
    var handledInbound: UInt32 = 0
    /// Stanzas sent to the client so far, modulo 2^32.
    var sentOutbound: UInt32 = 0
    /// Sent but not acknowledged, oldest first, with their sequence numbers.
    var unacked: [(sequence: UInt32, element: XMLElement)] = []
    /// An `<r/>` is outstanding.
    var awaitingAck = false

    /// Records an outbound stanza; returns true when it is time to ask for an ack.
    mutating func sent(_ element: XMLElement, askEvery: Int) -> Bool {
        guard self.enabled else { return false }
        self.sentOutbound &+= 1
        self.unacked.append((self.sentOutbound, element))
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

    static func isStanza(_ element: XMLElement) -> Bool {
        element.namespace == Namespace.client && (element.name == "message" || element.name == "presence" || element.name == "iq")
    }

    static let idAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".utf8)
}
