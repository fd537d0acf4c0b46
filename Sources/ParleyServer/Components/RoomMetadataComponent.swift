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
    let service: MUCService

    var discoIdentity: DiscoIdentity? { DiscoIdentity(category: "component", type: "room_metadata", name: self.domain) }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard stanza.type != "error" else { return }
        guard stanza.kind == .message else {
            if stanza.kind == .iq, stanza.isIQRequest { router.bounce(stanza, StanzaError(.serviceUnavailable)) }
            return
        }
        let command: RoomMetadataCommand
        do {
            guard let parsed = try RoomMetadataCommand(message: stanza.element) else {
                return router.bounce(stanza, StanzaError(.badRequest, text: "Expected <room_metadata/>"))
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
        room.perform({ $0.roomMetadata(command, from: sender) }, sink: router) { error in router.bounce(stanza, error) }
    }
}
