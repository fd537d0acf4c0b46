import ParleyCore

/// A password-protected room needs the password in the join's `<x xmlns='http://jabber.org/protocol/muc'>`:
/// otherwise `auth/not-authorized` (XEP-0045 §7.2.5). Admins (focus) and the service's `passwordExempt` (the
/// recorder, the transcriber) enter without it, as Jitsi's `mod_muc_password_whitelist` lets them follow a
/// moderator's lock.
public struct PasswordPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        guard let password = room.configuration.password, !room.service.isExemptFromPassword(join.from),
            join.password != password
        else {
            return .admit
        }
        return .refuse(StanzaError(.notAuthorized, text: "A password is required to enter this room"))
    }
}
