import ParleyCore

/// Where a MUC service sends what rooms produce: stanzas addressed to real JIDs. The server's router.
public protocol MUCDeliverySink: Sendable {
    func deliver(_ stanza: Stanza)
    /// What one stanza made the room send, in order (a broadcast: one stanza per recipient session).
    func deliver(_ stanzas: [Stanza])
}

extension MUCDeliverySink {
    public func deliver(_ stanzas: [Stanza]) {
        for stanza in stanzas { self.deliver(stanza) }
    }
}
