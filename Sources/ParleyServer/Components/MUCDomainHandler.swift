import ParleyCore
import ParleyMUC

/// Puts a `MUCService` on the router: stanzas to its domain go to the service, deliveries come back
/// through the router to the occupants' sessions.
struct MUCDomainHandler: DomainHandler {
    let service: MUCService

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        self.service.handle(stanza, sender: session, sink: router)
    }
}

extension StanzaRouter: MUCDeliverySink {
    public func deliver(_ stanza: Stanza) { self.route(stanza) }

    public func deliver(_ stanzas: [Stanza]) { self.routeBatch(stanzas) }

    /// A room's deliveries with the sessions it holds: those go straight to the session, the rest are looked up.
    public func deliver(_ stanzas: [Stanza], recipients: [(any MUCRecipient)?]) {
        guard recipients.count == stanzas.count else { return self.routeBatch(stanzas) }
        self.routeBatch(stanzas, known: recipients.map { $0 as? SessionHandle })
    }
}

/// Rooms hold session handles (`MUCRoom.recipients`); a handle is live until the registry unbinds it.
extension SessionHandle: MUCRecipient {}
