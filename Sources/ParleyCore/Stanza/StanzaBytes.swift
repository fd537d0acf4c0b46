import ParleyXML

/// A stanza serialized once for many recipients: the bytes without the `to` attribute, and where a `to`
/// (and, for WebSocket and BOSH, `xmlns='jabber:client'`) goes in for each delivery. A room's presence
/// broadcast is serialized once instead of once per occupant.
public final class StanzaBytes: Sendable, Hashable {
    /// `<name …>…</name>` as in a c2s stream (no `xmlns`, no `to`).
    public let bytes: [UInt8]
    /// Right after `<name`.
    public let insertionPoint: Int

    /// A stanza's body (no addresses) with its `from` written in after the body's own attributes. The JID is
    /// written part by part: no string is made for it, and the body is not copied.
    public init(_ body: XMLElement, from: JID?) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        body.serialize(into: &bytes, inheritedNamespace: Namespace.client) { out in
            guard let from else { return }
            out.appendUTF8(" from='")
            StanzaBytes.appendAttributeValue(from, into: &out)
            out.append(UInt8(ascii: "'"))
        }
        self.bytes = bytes
        self.insertionPoint = 1 + body.name.utf8.count
    }

    init(bytes: [UInt8], insertionPoint: Int) {
        self.bytes = bytes
        self.insertionPoint = insertionPoint
    }

    /// These bytes with `extra` written in just before `closing`, their last bytes; nil when they do not end with
    /// it. A MUC self-presence is the presence the others get with its status codes before `</x></presence>`.
    public func inserting(_ extra: [UInt8], beforeClosing closing: [UInt8]) -> StanzaBytes? {
        let cut = self.bytes.count - closing.count
        guard cut > self.insertionPoint, self.bytes[cut...].elementsEqual(closing) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(self.bytes.count + extra.count)
        bytes.append(contentsOf: self.bytes[..<cut])
        bytes.append(contentsOf: extra)
        bytes.append(contentsOf: closing)
        return StanzaBytes(bytes: bytes, insertionPoint: self.insertionPoint)
    }

    /// The stanza for one recipient: `to` spliced in, and `xmlns` when the framing needs it (RFC 7395 §3.3.3).
    public func write(to recipient: JID?, declareNamespace: Bool, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + self.bytes.count + 80)
        out.append(contentsOf: self.bytes[..<self.insertionPoint])
        if declareNamespace { out.appendUTF8(" xmlns='jabber:client'") }
        if let recipient {
            out.appendUTF8(" to='")
            StanzaBytes.appendAttributeValue(recipient, into: &out)
            out.append(UInt8(ascii: "'"))
        }
        out.append(contentsOf: self.bytes[self.insertionPoint...])
    }

    /// A JID as an attribute value, part by part: prepared localparts and domainparts cannot hold a
    /// character XML escapes (RFC 7622 §3.3.1 excludes `& ' < > "`), so only the resourcepart is escaped.
    public static func appendAttributeValue(_ jid: JID, into out: inout [UInt8]) {
        if let local = jid.localpart {
            out.appendUTF8(local)
            out.append(UInt8(ascii: "@"))
        }
        out.appendUTF8(jid.domainpart)
        if let resource = jid.resourcepart {
            out.append(UInt8(ascii: "/"))
            XMLEscaping.appendEscaped(resource, into: &out)
        }
    }

    public static func == (a: StanzaBytes, b: StanzaBytes) -> Bool { a === b || a.bytes == b.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.bytes.count) }
}
