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
    let rooms: ConferenceRooms

    var discoIdentity: DiscoIdentity? { DiscoIdentity(category: "component", type: "speakerstats", name: self.domain) }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard ConferenceRooms.isCommand(stanza, router: router) else { return }
        let command: SpeakerStatsCommand
        do {
            guard let parsed = try SpeakerStatsCommand(message: stanza.element) else {
                return router.bounce(
                    stanza,
                    StanzaError(.badRequest, text: "Expected <speakerstats/> or <faceLandmarks/>")
                )
            }
            command = parsed
        } catch {
            return router.bounce(stanza, error)
        }
        guard let (room, sender) = self.rooms.room(named: command.room, for: stanza, from: session, router: router)
        else {
            return
        }
        room.perform(
            { state in
                state.speakerStats(command, from: sender, nowMillis: Int64(Date().timeIntervalSince1970 * 1000))
            },
            sink: router,
            refused: { error in router.bounce(stanza, error) }
        )
    }
}
