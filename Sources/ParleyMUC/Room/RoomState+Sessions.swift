import ParleyCore

extension RoomState {
    /// Whether `session` (a real full JID) is one of an occupant's sessions now.
    public func hasSession(_ session: JID) -> Bool { self.nickByRealJID[session] != nil }
}
