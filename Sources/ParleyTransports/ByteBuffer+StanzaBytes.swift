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
        let namespace: StaticString = " xmlns='jabber:client'"
        let to: StaticString = " to='"
        var length = stanza.bytes.count
        if declareNamespace { length += namespace.utf8CodeUnitCount }
        if let value { length += to.utf8CodeUnitCount + value.count + 1 }
        // One copy into the buffer's storage, piece by piece: each `writeBytes` of NIO's checks and counts alone,
        // and a stanza is four or five pieces.
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
            var offset = 0
            func append(_ bytes: UnsafeRawBufferPointer) {
                guard let base = bytes.baseAddress, bytes.count > 0 else { return }
                out.baseAddress?.advanced(by: offset).copyMemory(from: base, byteCount: bytes.count)
                offset += bytes.count
            }
            stanza.bytes.withUnsafeBytes { all in
                append(UnsafeRawBufferPointer(rebasing: all[..<split]))
                if declareNamespace {
                    append(UnsafeRawBufferPointer(start: namespace.utf8Start, count: namespace.utf8CodeUnitCount))
                }
                if let value {
                    append(UnsafeRawBufferPointer(start: to.utf8Start, count: to.utf8CodeUnitCount))
                    value.withUnsafeBytes { append($0) }
                    withUnsafeBytes(of: UInt8(ascii: "'")) { append($0) }
                }
                append(UnsafeRawBufferPointer(rebasing: all[split...]))
            }
            return offset
        }
    }
}
