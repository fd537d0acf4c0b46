import ParleyCore

/// A nick held by another user is refused with `cancel/conflict` (XEP-0045 §7.2.9). The same user (same bare
/// JID) joining with the same nick from another session becomes another session of that occupant, as in Prosody.
public struct NickConflictPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        guard let holder = room.occupants[join.nick], holder.bareJID != join.from.bare else { return .admit }
        return .refuse(StanzaError(.conflict, text: "That nickname is already in use"))
    }
}
