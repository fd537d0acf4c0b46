import Foundation
import ParleyCore
import ParleyMUC
import ParleyXML

/// Jitsi's `mod_speakerstats_component` (`speakerstats.meet.jitsi`): lib-jitsi-meet finds it through
/// `<identity category='component' type='speakerstats' name='speakerstats.meet.jitsi'/>` on the hosts' disco#info
/// and sends it `<speakerstats xmlns='http://jitsi.org/jitmeet' room='…' silence='…'/>` when its participant becomes
/// the dominant speaker, and `<faceLandmarks …/>` reports. The room named in `room` does the counting
/// (`RoomState+SpeakerStats`) and gives joiners the totals. Refusals are message errors with a text (Jitsi's
/// module answers nothing).
struct SpeakerStatsComponent: DomainHandler {
    let domain: String
    /// The conference MUC whose rooms are counted.
    let service: MUCService

    var discoIdentity: DiscoIdentity? { DiscoIdentity(category: "component", type: "speakerstats", name: self.domain) }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard stanza.type != "error" else { return }
        guard stanza.kind == .message else {
            if stanza.kind == .iq, stanza.isIQRequest { router.bounce(stanza, StanzaError(.serviceUnavailable)) }
            return
        }
        let command: SpeakerStatsCommand
        do {
            guard let parsed = try SpeakerStatsCommand(message: stanza.element) else {
                return router.bounce(stanza, StanzaError(.badRequest, text: "Expected <speakerstats/> or <faceLandmarks/>"))
            }
            command = parsed
        } catch {
            return router.bounce(stanza, error)
        }
        guard session != nil, let sender = stanza.from else {
            return router.bounce(stanza, StanzaError(.notAllowed, text: "Only local sessions may send this"))
        }
        guard command.room.domainpart == self.service.domain, let name = command.room.localpart,
            let room = self.service.room(name)
        else {
            return router.bounce(stanza, StanzaError(.itemNotFound, text: "No such meeting"))
        }
        room.perform(
            { state in
                state.speakerStats(command, from: sender, nowMillis: Int64(Date().timeIntervalSince1970 * 1000))
            }, sink: router
        ) { error in router.bounce(stanza, error) }
    }
}
