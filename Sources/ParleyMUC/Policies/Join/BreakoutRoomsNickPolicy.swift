import ParleyCore

/// A nick held by another user in another room of the same meeting (the main room or one of its breakout rooms) is
/// refused with `cancel/conflict`, as Jitsi's `mod_muc_breakout_rooms` refuses it
/// (`check_for_existing_occupant_in_room`): lib-jitsi-meet keeps its nick (the endpoint id) when it moves between
/// them, so another user must not take it meanwhile. The same user may hold it in both while it moves.
public struct BreakoutRoomsNickPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        guard let holder = room.nickHeldInOtherRooms(join.nick), holder != join.from.bare else { return .admit }
        return .refuse(StanzaError(.conflict, text: "That nickname is already in use in this meeting"))
    }
}
