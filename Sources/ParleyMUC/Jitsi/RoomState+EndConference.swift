import ParleyCore

/// Jitsi's `mod_end_conference`: a moderator ends the meeting for everyone. The room is destroyed (XEP-0045
/// §10.9) with the reason lib-jitsi-meet shows, and every occupant gets the unavailable presence with `<destroy>`.
extension RoomState {
    /// The reason the destroy presence carries, as Jitsi's module sends it.
    public static let endConferenceReason = "The meeting has been terminated"

    /// Ends the conference when `requester` (a real full JID) is a moderator occupant: the deliveries of the
    /// room's destruction. Otherwise the error to answer it with, and the room goes on.
    public mutating func endConference(by requester: JID) -> Result<[Stanza], StanzaError> {
        guard let occupant = self.occupant(of: requester) else {
            return .failure(StanzaError(.itemNotFound, text: "You are not in this meeting"))
        }
        guard occupant.role == .moderator else {
            return .failure(StanzaError(.forbidden, text: "Only moderators may end the meeting for all"))
        }
        return .success(self.destroy(reason: Self.endConferenceReason, alternate: nil))
    }
}
