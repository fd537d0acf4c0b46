import ParleyCore

/// A password-protected room needs the password in the join's `<x xmlns='http://jabber.org/protocol/muc'>`:
/// otherwise `auth/not-authorized` (XEP-0045 §7.2.5). Admins (focus) enter without it, as Jitsi's
/// `mod_muc_password_whitelist` lets focus re-enter a room whose moderator set a password.
public struct PasswordPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        guard let password = room.configuration.password, !join.isAdmin, join.password != password else {
            return .admit
        }
        return .refuse(StanzaError(.notAuthorized, text: "A password is required to enter this room"))
    }
}
