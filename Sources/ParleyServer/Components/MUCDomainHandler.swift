import ParleyCore
import ParleyMUC

/// Puts a `MUCService` on the router: stanzas to its domain go to the service, deliveries come back
/// through the router to the occupants' sessions.
struct MUCDomainHandler: DomainHandler {
    let service: MUCService

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        self.service.handle(stanza, sink: router)
    }
}

extension StanzaRouter: MUCDeliverySink {
    public func deliver(_ stanza: Stanza) { self.route(stanza) }

    public func deliver(_ stanzas: [Stanza]) { self.routeBatch(stanzas) }
}
