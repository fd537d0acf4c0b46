import Logging
import ParleyCore
import ParleyXML

/// Jitsi's `client_proxy` component (`focus.meet.jitsi`): a client's conference IQ goes to a live session
/// of the focus account, `from` rewritten to `focus.meet.jitsi/<client's full JID>`; the answer comes back
/// to that address and is delivered to the client from `focus.meet.jitsi` (Jitsi requirements R8).
///
/// ```
/// C → focus.meet.jitsi:                <iq type='set' id='q1'><conference xmlns='http://jitsi.org/protocol/focus' room='abc@muc.meet.jitsi'/></iq>
/// S → focus@auth.meet.jitsi/focus:     from='focus.meet.jitsi/u1@meet.jitsi/xyz'
/// F → focus.meet.jitsi/u1@meet.jitsi/xyz: <iq type='result' id='q1'>…</iq>
/// S → u1@meet.jitsi/xyz:               from='focus.meet.jitsi'
/// ```
///
/// Live focus resources come from Parley's own session registry, so no roster subscription is needed
/// (Prosody's `mod_client_proxy` breaks when `focus@auth` ↔ `focus.<domain>` is not subscribed).
struct FocusProxy: DomainHandler {
    let domain: JID
    let target: JID
    /// Refuses room names that identify a person before Jicofo sees them (nil: allowed).
    let roomNamePolicy: @Sendable (String) -> StanzaError?
    /// Refuses a conference for a room that does not exist while the shard drains, when the operator asks for it
    /// (`operations.drain_refuses_new_conferences`); nil: allowed.
    var newConferencePolicy: @Sendable (String) -> StanzaError? = { _ in nil }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard let from = stanza.from, let to = stanza.to else { return }
        switch stanza.kind {
        case .iq where stanza.isIQRequest:
            if from.bare == self.target {
                return router.bounce(stanza, StanzaError(.badRequest, text: "The focus may not call itself"))
            }
            if let conference = stanza.payload, conference.name == "conference",
                conference.namespace == Namespace.focus,
                let room = conference[attribute: "room"]
            {
                if let refusal = self.roomNamePolicy(room) ?? self.newConferencePolicy(room) {
                    return router.bounce(stanza, refusal)
                }
            }
            let live = router.registry.sessions(of: self.target)
            guard let focus = live.filter(\.isAvailable).max(by: { $0.priority < $1.priority }) ?? live.first else {
                return router.bounce(
                    stanza,
                    StanzaError(.serviceUnavailable, text: "The conference focus is not connected")
                )
            }
            guard let proxied = try? self.domain.with(resource: from.description) else {
                return router.bounce(stanza, StanzaError(.jidMalformed))
            }
            var forwarded = stanza
            forwarded.from = proxied
            forwarded.to = focus.jid
            focus.deliver(forwarded)
        case .iq:
            // A result or error from the focus to focus.<domain>/<client JID>: "de-NAT" it.
            guard from.bare == self.target, let resource = to.resourcepart, let client = try? JID(resource) else {
                return
            }
            var answer = stanza
            answer.from = self.domain
            answer.to = client
            router.route(answer)
        case .message:
            router.bounce(stanza, StanzaError(.featureNotImplemented))
        case .presence:
            // The focus's own presence needs no roster here; anything else is not for this component.
            if from.bare != self.target, stanza.type != "error" {
                router.bounce(stanza, StanzaError(.badRequest))
            }
        }
    }
}
