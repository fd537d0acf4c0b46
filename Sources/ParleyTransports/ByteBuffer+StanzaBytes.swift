import NIOCore
import ParleyCore
import ParleyXML

extension ByteBuffer {
    /// Writes one recipient's copy of a broadcast stanza: the shared bytes with its `to` spliced in, and
    /// `xmlns='jabber:client'` when the framing needs it (RFC 7395 §3.3.3, XEP-0206 §4). No intermediate array.
    public mutating func writeStanza(_ stanza: StanzaBytes, to recipient: JID?, declareNamespace: Bool) {
        self.writeStanza(stanza, declareNamespace: declareNamespace) { buffer in
            if let recipient { buffer.writeJIDAttributeValue(recipient) }
            return recipient != nil
        }
    }

    /// The same, with the recipient's `to` value already escaped (`StanzaBytes.appendAttributeValue`): a
    /// session that caches its own address writes it without looking at its parts again.
    public mutating func writeStanza(_ stanza: StanzaBytes, toAttributeValue value: [UInt8], declareNamespace: Bool) {
        self.writeStanza(stanza, declareNamespace: declareNamespace) { buffer in
            buffer.writeBytes(value)
            return true
        }
    }

    private mutating func writeStanza(
        _ stanza: StanzaBytes, declareNamespace: Bool, recipient writeRecipient: (inout ByteBuffer) -> Bool
    ) {
        let split = stanza.insertionPoint
        stanza.bytes.withUnsafeBufferPointer { all in
            self.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(all)[..<split]))
        }
        if declareNamespace { self.writeStaticString(" xmlns='jabber:client'") }
        let mark = self.writerIndex
        self.writeStaticString(" to='")
        if writeRecipient(&self) {
            self.writeInteger(UInt8(ascii: "'"))
        } else {
            self.moveWriterIndex(to: mark)
        }
        stanza.bytes.withUnsafeBufferPointer { all in
            self.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(all)[split...]))
        }
    }

    /// A JID as an attribute value. Prepared localparts and domainparts cannot hold a character XML
    /// escapes (RFC 7622 §3.3.1 excludes `" & ' < >`); only the resourcepart may need escaping.
    mutating func writeJIDAttributeValue(_ jid: JID) {
        if let local = jid.localpart {
            self.writeString(local)
            self.writeInteger(UInt8(ascii: "@"))
        }
        self.writeString(jid.domainpart)
        guard let resource = jid.resourcepart else { return }
        self.writeInteger(UInt8(ascii: "/"))
        if XMLEscaping.needsEscaping(resource) {
            var escaped: [UInt8] = []
            XMLEscaping.appendEscaped(resource, into: &escaped)
            self.writeBytes(escaped)
        } else {
            self.writeString(resource)
        }
    }
}
