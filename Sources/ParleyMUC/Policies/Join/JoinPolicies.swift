import ParleyCore

/// The join policies a room consults, in order: the first verdict other than `.admit` decides.
///
/// The standard order, and why:
/// 1. `NicknamePolicy`: a nick that cannot be an occupant JID's resource is malformed input, whatever the room.
/// 2. `DomainAccessPolicy`: services restricted to some domains (`mod_muc_filter_access`) refuse everyone else
///    before anything about the room is told.
/// 3. `RoomNameJoinPolicy`: names that identify a person are closed to all but admins (Jitsi's GDPR guidance).
/// 4. `FocusLockPolicy`: until Jicofo's focus is in, joins wait (`mod_muc_meeting_id`'s `jicofo_lock`); held joins
///    pass through every policy below when they are replayed.
/// 5. `BanPolicy`: outcasts (§7.2.8).
/// 6. `NickConflictPolicy`: a nick held by another user (§7.2.9).
/// 7. `BreakoutRoomsNickPolicy`: a nick held by another user in another room of the same meeting (the main room
///    or one of its breakout rooms, Jitsi's `mod_muc_breakout_rooms`).
/// 8. `RoomLockPolicy`: a room not yet configured by its owner (§10.1.1, §7.2.11).
/// 9. `LobbyPolicy`: Jitsi's lobby: whitelisted and password-giving joiners pass as members, others are sent to
///    knock (`registration-required` with the lobby room).
/// 10. `MembersOnlyPolicy`: members-only rooms (§7.2.7); Jitsi's lobby makes rooms members-only.
/// 11. `PasswordPolicy`: password-protected rooms (§7.2.5).
/// 12. `MaxOccupantsPolicy`: the room's and the service's occupant limits (§7.2.10, `mod_muc_max_occupants`).
///
/// A policy that answers `.admitAsMember` lets the later ones see the joiner as a member; the result is then
/// `.admitAsMember` unless a later policy refuses. The JWT room claim
/// (`TokenRoomClaimPolicy`) is not in this list: it depends on the session, and `MUCService` applies it first.
public struct JoinPolicies: Sendable {
    public let policies: [any JoinPolicy]

    public init(_ policies: [any JoinPolicy]) {
        self.policies = policies
    }

    public static let standard = JoinPolicies([
        NicknamePolicy(), DomainAccessPolicy(), RoomNameJoinPolicy(), FocusLockPolicy(), BanPolicy(),
        NickConflictPolicy(), BreakoutRoomsNickPolicy(), RoomLockPolicy(), LobbyPolicy(), MembersOnlyPolicy(),
        PasswordPolicy(),
        MaxOccupantsPolicy(),
    ])

    /// The first verdict other than `.admit`, or `.admit` when every policy admits the join.
    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        var join = join
        var asMember = false
        for policy in self.policies {
            switch policy.evaluate(join, in: room) {
            case .admit:
                continue
            case .admitAsMember:
                asMember = true
                join = join.with(affiliation: max(join.affiliation, .member))
            case let other:
                return other
            }
        }
        return asMember ? .admitAsMember : .admit
    }
}
