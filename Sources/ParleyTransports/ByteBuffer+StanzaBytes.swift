import NIOCore
import ParleyCore

extension ByteBuffer {
    /// Writes one recipient's copy of a broadcast stanza: the shared bytes with its `to` spliced in, and
    /// `xmlns='jabber:client'` when the framing needs it (RFC 7395 §3.3.3, XEP-0206 §4). No intermediate array.
    ///
    /// `value` is the recipient's address already escaped (`StanzaBytes.appendAttributeValue`, or a
    /// `RecipientAddressCache`); nil writes no `to`.
    public mutating func writeStanza(_ stanza: StanzaBytes, toAttributeValue value: [UInt8]?, declareNamespace: Bool) {
        let split = stanza.insertionPoint
        _ = stanza.bytes.withUnsafeBufferPointer { all in
            self.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(all)[..<split]))
        }
        if declareNamespace { self.writeStaticString(" xmlns='jabber:client'") }
        if let value {
            self.writeStaticString(" to='")
            self.writeBytes(value)
            self.writeInteger(UInt8(ascii: "'"))
        }
        _ = stanza.bytes.withUnsafeBufferPointer { all in
            self.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(all)[split...]))
        }
    }
}
