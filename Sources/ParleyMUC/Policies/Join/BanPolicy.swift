import ParleyCore

/// Outcasts may not enter: `auth/forbidden` (XEP-0045 §7.2.8). Jicofo bans through the admin IQ (§9.1).
public struct BanPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        join.affiliation == .outcast ? .refuse(StanzaError(.forbidden, text: "You are banned from this room")) : .admit
    }
}
