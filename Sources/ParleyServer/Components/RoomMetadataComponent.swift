import Foundation
import ParleyCore
import ParleyMUC
import ParleyXML

/// Jitsi's `mod_room_metadata_component` (`metadata.meet.jitsi`): lib-jitsi-meet finds it through
/// `<identity category='component' type='room_metadata' name='metadata.meet.jitsi'/>` on the hosts' disco#info and
/// sends it `<room_metadata xmlns='http://jitsi.org/jitmeet' room='…'>{"key":…,"data":…}</room_metadata>`. The room
/// named in `room` decides and broadcasts (`RoomState+RoomMetadata`). Refusals are message errors with a text
/// (Jitsi's module answers nothing).
struct RoomMetadataComponent: DomainHandler {
    let domain: String
    /// The conference MUC whose rooms keep metadata.
    let rooms: ConferenceRooms

    var discoIdentity: DiscoIdentity? { DiscoIdentity(category: "component", type: "room_metadata", name: self.domain) }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard ConferenceRooms.isCommand(stanza, router: router) else { return }
        let command: RoomMetadataCommand
        do {
            guard let parsed = try RoomMetadataCommand(message: stanza.element) else {
                return router.bounce(stanza, StanzaError(.badRequest, text: "Expected <room_metadata/>"))
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
            { $0.roomMetadata(command, from: sender) },
            sink: router,
            refused: { error in router.bounce(stanza, error) }
        )
    }
}
