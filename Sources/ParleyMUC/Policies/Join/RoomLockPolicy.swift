import ParleyCore

/// A room that its owner has not configured yet is locked to all but owners: `cancel/item-not-found`
/// (XEP-0045 §10.1.1 and §7.2.11). Jitsi's preset turns room locking off (`muc_room_locking = false`).
public struct RoomLockPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        guard room.locked, join.affiliation != .owner else { return .admit }
        return .refuse(StanzaError(.itemNotFound, text: "This room is locked until its owner configures it"))
    }
}
