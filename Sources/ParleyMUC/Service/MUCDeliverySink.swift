import ParleyCore

/// Where a MUC service sends what rooms produce: stanzas addressed to real JIDs. The server's router.
public protocol MUCDeliverySink: Sendable {
    func deliver(_ stanza: Stanza)
    /// What one stanza made the room send, in order (a broadcast: one stanza per recipient session).
    func deliver(_ stanzas: [Stanza])
    /// The same, with the recipient sessions the room knows, one per stanza (nil: find it by the stanza's `to`).
    func deliver(_ stanzas: [Stanza], recipients: [(any MUCRecipient)?])
}

extension MUCDeliverySink {
    public func deliver(_ stanzas: [Stanza]) {
        for stanza in stanzas { self.deliver(stanza) }
    }

    public func deliver(_ stanzas: [Stanza], recipients: [(any MUCRecipient)?]) { self.deliver(stanzas) }
}
