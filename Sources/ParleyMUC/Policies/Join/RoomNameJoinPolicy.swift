import ParleyCore

/// A room whose name the room-name policy refuses (`RoomNamePolicy`: names that identify a person) admits no
/// one but admins: an admin (Jicofo) may have created it, but no participant can enter it. The refusal is the
/// policy's own `cancel/not-allowed` naming the category, never the name.
public struct RoomNameJoinPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        guard let refusal = room.nameRefusal, !join.isAdmin else { return .admit }
        return .refuse(refusal)
    }
}
