import ParleyCore

/// The last recipient address written, escaped: a session's deliveries are addressed to its own JID, so
/// the `to` value is prepared once rather than for every stanza.
public struct RecipientAddressCache: Sendable {
    private var jid: JID?
    private var bytes: [UInt8] = []

    public init() {}

    /// `jid` as an attribute value (`StanzaBytes.appendAttributeValue`).
    public mutating func value(for jid: JID) -> [UInt8] {
        // JID's own comparison (hash first), not Optional's generic one.
        if let cached = self.jid, cached == jid { return self.bytes }
        var bytes: [UInt8] = []
        StanzaBytes.appendAttributeValue(jid, into: &bytes)
        self.jid = jid
        self.bytes = bytes
        return bytes
    }
}
