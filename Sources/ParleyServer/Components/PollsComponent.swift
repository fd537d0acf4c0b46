import ParleyCore
import ParleyMUC
import ParleyXML

/// Jitsi's `mod_polls_component` (`polls.meet.jitsi`): lib-jitsi-meet finds it through
/// `<identity category='component' type='polls' name='polls.meet.jitsi'/>` on the hosts' disco#info and sends it
/// private messages, `<message type='chat' to='polls.meet.jitsi'><json-message xmlns='http://jitsi.org/jitmeet'>
/// {"type":"polls","command":"new-poll",…}</json-message></message>`. The command acts on the room of the sender's
/// web session (`ConferenceRooms`); the room (`RoomState+Polls`) keeps the polls and relays them. Refusals are
/// message errors with a text (Jitsi's module mostly drops bad input silently).
struct PollsComponent: DomainHandler {
    let domain: String
    let rooms: ConferenceRooms

    var discoIdentity: DiscoIdentity? { DiscoIdentity(category: "component", type: "polls", name: self.domain) }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard ConferenceRooms.isCommand(stanza, router: router), stanza.type != "groupchat" else { return }
        guard
            let json = stanza.body.elements.first(where: {
                $0.name == "json-message"
                    && ($0.namespace == SpeakerStatsCommand.namespace || $0.namespace == Namespace.client)
            })
        else {
            return router.bounce(stanza, StanzaError(.badRequest, text: "Expected a <json-message/> with a poll"))
        }
        let command: PollsCommand
        do {
            command = try PollsCommand(json: json.text)
        } catch {
            return router.bounce(stanza, error)
        }
        guard let (room, sender) = self.rooms.room(for: stanza, from: session, router: router) else { return }
        room.perform(
            { $0.polls(command, from: sender) },
            sink: router,
            refused: { error in router.bounce(stanza, error) }
        )
    }
}
