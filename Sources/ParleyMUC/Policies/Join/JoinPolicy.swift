import ParleyCore

/// One check a join must pass before the room admits it (XEP-0045 §7.2), as a pure value: the join and the room
/// in, a verdict out. No I/O, no clock, so each is tested on its own.
///
/// Jitsi's Prosody modules make these checks in `muc-occupant-pre-join` hooks at numbered priorities
/// (`mod_muc_max_occupants`, `mod_muc_filter_access`, `mod_muc_password_whitelist`, the lobby's members-only
/// check, `token_verification`). Parley keeps each one a type of its own and consults them in the one documented
/// order of `JoinPolicies.standard`, so a new policy (the lobby, the JWT room claim) plugs in at a stated place.
public protocol JoinPolicy: Sendable {
    /// Whether `join` may enter `room` as far as this policy is concerned.
    func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict
}
