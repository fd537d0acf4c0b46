import ParleyCore
import ParleyMUC
import ParleyXML

/// Jitsi's `mod_av_moderation_component` (`avmoderation.meet.jitsi`): lib-jitsi-meet finds it through
/// `<identity category='component' type='av_moderation' name='avmoderation.meet.jitsi'/>` on the hosts'
/// disco#info, and a moderator sends it
/// `<message to='avmoderation.meet.jitsi'><av_moderation enable='true' mediaType='audio'/></message>` (or
/// `jidToWhitelist` / `jidToBlacklist` with an occupant JID). The command acts on the room of the sender's web
/// session (`ConferenceRooms`); the room's `RoomState+AVModeration` decides and sends the JSON notices from this
/// domain. Refusals are message errors with a text (Jitsi's module answers nothing).
struct AVModerationComponent: DomainHandler {
    let domain: String
    let rooms: ConferenceRooms

    var discoIdentity: DiscoIdentity? { DiscoIdentity(category: "component", type: "av_moderation", name: self.domain) }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard ConferenceRooms.isCommand(stanza, router: router) else { return }
        guard let element = stanza.body.elements.first(where: { $0.name == "av_moderation" }) else {
            return router.bounce(stanza, StanzaError(.badRequest, text: "Expected <av_moderation/>"))
        }
        let command: AVModerationCommand
        do {
            command = try AVModerationCommand(element)
        } catch {
            return router.bounce(stanza, error)
        }
        guard let (room, sender) = self.rooms.room(for: stanza, from: session, router: router) else { return }
        room.perform(
            { $0.avModeration(command, from: sender) },
            sink: router,
            refused: { error in router.bounce(stanza, error) }
        )
    }
}
