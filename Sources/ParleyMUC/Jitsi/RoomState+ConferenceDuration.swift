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
        if let cached = self.conferenceDurationTemplate, cached.started == started {
            return [cached.message.addressed(to: occupant.primarySession)]
        }
        // What `JSONValue.text` writes for this object (keys sorted, an integral number without a fraction),
        // written directly: every joiner of a started room gets it, and the general writer cost ~6,000
        // instructions a join. The message is the same for every joiner but its `to`, so it is serialized once.
        let body = "{\"created_timestamp\":\(started),\"type\":\"conference_duration\"}"
        var template = self.jsonMessage(body, to: occupant.primarySession, from: component)
        template.to = nil
        template.prepareBroadcast()
        self.conferenceDurationTemplate = (started, template)
        return [template.addressed(to: occupant.primarySession)]
    }
}
