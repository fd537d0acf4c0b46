import Foundation
import ParleyCore
import ParleyXML

/// Jitsi's speaker statistics (`mod_speakerstats_component`, lib-jitsi-meet's `SpeakerStatsCollector`): clients
/// report when they become the dominant speaker and their face landmarks; the room sums them per participant.
/// A joiner gets everyone's totals so far, including those who left, in
/// `<json-message xmlns='http://jitsi.org/jitmeet'>{"type":"speakerstats","users":{…}}</json-message>` from the
/// component. Focus and other admins are not counted, nor are Jicofo's health-check rooms.
///
/// Where Jitsi's module reports every entry to a joiner (its "left the room" test looks an occupant JID up as a real
/// JID, which never matches), Parley reports those with speaking time, those who left, the current dominant
/// speaker and those with face landmarks; and a participant who rejoins with the same nick keeps its total.
extension RoomState {
    /// Applies a client's report. Errors: the sender is not in the room (`item-not-found`), the room keeps no
    /// statistics (`service-unavailable`), too many face landmarks (`resource-constraint`).
    public mutating func speakerStats(
        _ command: SpeakerStatsCommand,
        from requester: JID,
        nowMillis: Int64
    ) -> Result<[Stanza], StanzaError> {
        guard self.keepsSpeakerStats else {
            return .failure(StanzaError(.serviceUnavailable, text: "This room keeps no speaker statistics"))
        }
        guard let occupant = self.occupant(of: requester) else {
            return .failure(StanzaError(.itemNotFound, text: "You are not in this meeting"))
        }
        switch command {
        case .dominantSpeaker(_, let silence):
            if let previous = self.speakerStatsState.dominantSpeaker, previous != occupant.jid {
                self.speakerStatsState.entries[previous]?.setDominant(false, silent: false, at: nowMillis)
            }
            self.speakerStatsState.entries[occupant.jid]?.setDominant(true, silent: silence, at: nowMillis)
            self.speakerStatsState.dominantSpeaker = occupant.jid
            self.speakerStatsState.hasReportable = true
        case .faceLandmark(_, let landmark):
            guard let count = self.speakerStatsState.entries[occupant.jid]?.faceLandmarks.count else {
                return .success([])
            }
            guard count < SpeakerStats.maxFaceLandmarks else {
                return .failure(StanzaError(.resourceConstraint, text: "Too many face landmarks for one participant"))
            }
            self.speakerStatsState.entries[occupant.jid]?.faceLandmarks.append(landmark)
            self.speakerStatsState.hasReportable = true
        }
        return .success([])
    }

    /// Whether this room counts speakers: the component is on and this is not a health-check room.
    var keepsSpeakerStats: Bool {
        self.service.speakerStatsComponent != nil && !(self.jid.localpart ?? "").hasPrefix("__jicofo-health-check")
    }

    /// A joiner gets the totals so far, then is counted; a participant leaving stops speaking and leaves its
    /// display name.
    mutating func speakerStatsReaction(to event: RoomEvent) -> [Stanza] {
        guard self.keepsSpeakerStats, let component = self.service.speakerStatsComponent else { return [] }
        switch event {
        case .occupantJoined(let nick):
            guard let occupant = self.occupants[nick], !self.service.isAdmin(occupant.bareJID) else { return [] }
            var out: [Stanza] = []
            if self.speakerStatsState.hasReportable, let body = self.speakerStatsBody(excluding: occupant.jid) {
                out.append(self.jsonMessage(body, to: occupant.primarySession, from: component))
            }
            if self.speakerStatsState.entries[occupant.jid] == nil,
                self.speakerStatsState.entries.count < SpeakerStats.maxEntries
            {
                self.speakerStatsState.entries[occupant.jid] = SpeakerStats.Entry(nick: nick)
            }
            return out
        case .occupantLeaving(let nick):
            guard let occupant = self.occupants[nick], self.speakerStatsState.entries[occupant.jid] != nil else {
                return []
            }
            self.speakerStatsState.entries[occupant.jid]?.setDominant(false, silent: false, at: self.clockMillis)
            self.speakerStatsState.hasReportable = true
            self.speakerStatsState.entries[occupant.jid]?.displayName = Self.displayName(of: occupant)
            return []
        case .occupantLeft, .affiliationChanged, .invited, .roomDestroyed:
            return []
        }
    }

    /// `{"type":"speakerstats","users":{nick:{displayName,totalDominantSpeakerTime,faceLandmarks}}}`, or nil when
    /// there is nobody to report.
    private func speakerStatsBody(excluding joiner: JID) -> String? {
        var users: [String: Any] = [:]
        for (jid, entry) in self.speakerStatsState.entries where jid != joiner && entry.nick != self.service.focusNick {
            let left = self.occupants[entry.nick]?.jid != jid
            let total = entry.total(at: self.clockMillis)
            guard total > 0 || left || entry.isDominant || !entry.faceLandmarks.isEmpty else { continue }
            var user: [String: Any] = [
                "totalDominantSpeakerTime": total,
                "faceLandmarks": entry.faceLandmarks.map {
                    ["faceExpression": $0.faceExpression, "timestamp": $0.timestamp, "duration": $0.duration]
                        as [String: Any]
                },
            ]
            if let name = entry.displayName { user["displayName"] = name }
            users[entry.nick] = user
        }
        guard !users.isEmpty,
            let data = try? JSONSerialization.data(
                withJSONObject: ["type": "speakerstats", "users": users],
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
