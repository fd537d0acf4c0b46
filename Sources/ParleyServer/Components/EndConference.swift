import ParleyCore
import ParleyMUC
import ParleyXML

/// Jitsi's `mod_end_conference` component (`endconference.meet.jitsi`): a moderator's
/// `<message to='endconference.meet.jitsi'><end_conference/></message>` destroys the conference room of the
/// sender's web session (`ConferenceRooms`) for everyone, with the reason "The meeting has been terminated". It is
/// announced on the hosts' disco#info as `<identity category='component' type='end_conference'
/// name='endconference.meet.jitsi'/>`, which is how lib-jitsi-meet finds it and offers "End meeting for all".
///
/// Where Jitsi's module stays silent (no room, not an occupant, not a moderator), Parley answers with a message
/// error naming the problem, and the room goes on.
struct EndConference: DomainHandler {
    let domain: String
    /// The conference MUC whose rooms this component ends.
    let rooms: ConferenceRooms

    var discoIdentity: DiscoIdentity? {
        DiscoIdentity(category: "component", type: "end_conference", name: self.domain)
    }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard ConferenceRooms.isCommand(stanza, router: router) else { return }
        guard stanza.body.elements.contains(where: { $0.name == "end_conference" }) else {
            return router.bounce(stanza, StanzaError(.badRequest, text: "Expected <end_conference/>"))
        }
        guard let (room, sender) = self.rooms.room(for: stanza, from: session, router: router) else { return }
        room.perform({ $0.endConference(by: sender) }, sink: router, refused: { error in router.bounce(stanza, error) })
    }
}
