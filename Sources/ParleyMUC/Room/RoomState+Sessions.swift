import ParleyCore

extension RoomState {
    /// Whether `session` (a real full JID) is one of an occupant's sessions now.
    public func hasSession(_ session: JID) -> Bool { self.nickByRealJID[session] != nil }

    /// Whether `session` is an occupant's session here or in one of this main room's breakout rooms.
    public func hasSessionInMeeting(_ session: JID) -> Bool {
        self.hasSession(session) || self.breakoutRoomsState.rooms.values.contains { $0.hasSession(session) }
    }
}
