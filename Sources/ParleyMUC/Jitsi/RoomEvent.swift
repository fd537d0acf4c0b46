import ParleyCore

/// What happened in a room, for the Jitsi features that follow it (`../shared/ARCHITECTURE.md`, "room events and
/// join policies"). `RoomState` raises an event where it happens and appends each feature's reaction to the
/// deliveries, after the XEP-0045 ones (Prosody's `muc-occupant-joined` and `muc-set-affiliation` hooks).
enum RoomEvent: Sendable {
    /// An occupant entered (its self-presence has been sent).
    case occupantJoined(nick: String)
    /// An affiliation was changed through the admin IQ by an occupant or admin.
    case affiliationChanged(bareJID: JID, to: Affiliation)
    /// An occupant is about to leave (left, kicked, banned): it is still in `occupants` (Prosody's
    /// `muc-occupant-pre-leave`).
    case occupantLeaving(nick: String)
    /// An occupant has left: it is no longer in `occupants` (Prosody's `muc-occupant-left`).
    case occupantLeft(nick: String)
    /// An occupant (`inviter`, a real JID) invited `invitee` (XEP-0045 §7.8.2).
    case invited(inviter: JID, invitee: JID)
    /// The room ended: emptied, destroyed by its owner, or ended for all.
    case roomDestroyed
}

extension RoomState {
    /// Every feature's reaction to `event`, in a fixed order.
    mutating func react(to event: RoomEvent) -> [Stanza] {
        self.avModerationReaction(to: event) + self.speakerStatsReaction(to: event) + self.pollsReaction(to: event)
            + self.lobbyReaction(to: event) + self.roomMetadataReaction(to: event)
            + self.conferenceDurationReaction(to: event) + self.breakoutRoomsReaction(to: event)
    }
}
