import ParleyCore

/// Where a MUC service sends what rooms produce: stanzas addressed to real JIDs. The server's router.
public protocol MUCDeliverySink: Sendable {
    func deliver(_ stanza: Stanza)
}
