import ParleyCore

/// Jitsi's `token_affiliation`: a session whose JSON Web Token says `context.user.moderator: true` enters as an owner
/// (and so a moderator), the way `mod_token_affiliation` makes such users owners at `muc-occupant-pre-join`. The
/// claim comes from the session (`MUCRecipient.isTokenModerator`); the room only records the affiliation. An
/// outcast stays banned.
extension RoomState {
    /// Called for `jid`'s join while it is not an occupant yet.
    public mutating func tokenModeratorJoining(_ jid: JID) {
        let current = self.affiliation(of: jid)
        guard current != .owner, current != .outcast else { return }
        self.affiliations[jid.bare] = .owner
    }
}
