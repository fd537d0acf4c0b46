/// A room's configuration (XEP-0045 §10.2, the `muc#roomconfig` form), in memory only.
public struct RoomConfiguration: Sendable, Hashable {
    /// `muc#roomconfig_whois`: who sees real JIDs. Jitsi needs `anyone` (§4.3 of the Jitsi requirements).
    public enum WhoIs: String, Sendable, Hashable {
        case moderators, anyone
    }

    public var name = ""
    public var description = ""
    public var language = ""
    public var whois: WhoIs = .anyone
    /// `muc#roomconfig_roomsecret`; nil when the room has no password.
    public var password: String?
    public var membersOnly = false
    /// `muc#roomconfig_maxusers`; nil for no limit. Admins are neither counted nor refused.
    public var maxOccupants: Int?
    public var changeSubject = false
    public var publicRoom = true
    /// Messages kept for late joiners; 0 keeps none (Parley's default, for privacy).
    public var historyLength = 0
    public var allowPrivateMessagesFrom = "visitor"

    public init() {}
}
