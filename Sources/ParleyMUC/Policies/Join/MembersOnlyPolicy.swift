import ParleyCore

/// A members-only room admits members, admins and owners only: `auth/registration-required` (XEP-0045 §7.2.7).
/// Jitsi's lobby (`mod_muc_lobby_rooms`) makes a room members-only and answers this refusal with the lobby's JID.
public struct MembersOnlyPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        guard room.configuration.membersOnly, join.affiliation < .member else { return .admit }
        return .refuse(StanzaError(.registrationRequired, text: "Only members may enter this room"))
    }
}
