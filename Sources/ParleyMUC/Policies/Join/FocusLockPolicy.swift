import ParleyCore

/// Jitsi's `jicofo_lock` (`mod_muc_meeting_id`): in a conference room, joins wait until the occupant with the
/// focus nick has joined, then are replayed in order. Admins and the focus itself never wait. At most
/// `maxQueuedJoins` wait per room (Jitsi: 500); past that, `wait/resource-constraint`.
public struct FocusLockPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        let service = room.service
        guard service.focusLock, !room.focusJoined, join.nick != service.focusNick, !join.isAdmin else {
            return .admit
        }
        guard room.queuedJoinCount < service.maxQueuedJoins else {
            return .refuse(
                StanzaError(.resourceConstraint, text: "Too many participants are waiting for the conference to start")
            )
        }
        return .hold
    }
}
