import ParleyCore
import ParleyXML

/// Jitsi's conference duration (`mod_conference_duration_component`): once a room has more than one occupant the
/// conference has started; every occupant who joins from then on gets when, as
/// `<json-message xmlns='http://jitsi.org/jitmeet'>{"type":"conference_duration","created_timestamp":…}` (milliseconds
/// since 1970) from the component, which the meeting timer counts from.
extension RoomState {
    mutating func conferenceDurationReaction(to event: RoomEvent) -> [Stanza] {
        guard case .occupantJoined(let nick) = event, let component = self.service.conferenceDurationComponent,
            self.occupants.count > 1, let occupant = self.occupants[nick]
        else { return [] }
        if self.conferenceStartedMillis == nil { self.conferenceStartedMillis = self.clockMillis }
        let started = self.conferenceStartedMillis ?? self.clockMillis
        let body = JSONValue.text(
            .object(["type": .string("conference_duration"), "created_timestamp": .number(Double(started))])
        )
        return [self.jsonMessage(body, to: occupant.primarySession, from: component)]
    }
}
