import ParleyCore
import ParleyMUC

/// Jitsi's `mod_conference_duration_component` (`conferenceduration.meet.jitsi`), announced on the hosts'
/// disco#info as `<identity category='component' type='conference_duration'/>`. It takes no commands: the rooms
/// send joiners the conference's start time from this domain (`RoomState+ConferenceDuration`).
struct ConferenceDurationComponent: DomainHandler {
    let domain: String

    var discoIdentity: DiscoIdentity? {
        DiscoIdentity(category: "component", type: "conference_duration", name: self.domain)
    }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard ConferenceRooms.isCommand(stanza, router: router) else { return }
        router.bounce(
            stanza,
            StanzaError(.featureNotImplemented, text: "The conference duration component takes no messages")
        )
    }
}
