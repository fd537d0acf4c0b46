import ParleyCore

/// One occupant session as the server knows it (its session handle), opaque to ParleyMUC. A room keeps the
/// handles of its occupants' sessions, so that what it sends goes straight to them instead of being looked up
/// again by JID in the server's session registry for every recipient of every broadcast.
public protocol MUCRecipient: AnyObject, Sendable {
    /// False once the session has ended (unbound): a room then forgets it and deliveries to its JID take the
    /// ordinary route again.
    var isLive: Bool { get }
    /// The `room` claim of the JSON Web Token the session logged in with (`TokenRoomClaimPolicy`); nil when it had
    /// no token or the token no room claim.
    var tokenRoom: String? { get }
    /// The `sub` claim of that token when its host verifies it (`verify_subject`); nil otherwise.
    var tokenSubject: String? { get }
    /// The token says `context.user.moderator: true` (`RoomState.tokenModeratorJoining`).
    var isTokenModerator: Bool { get }
}

extension MUCRecipient {
    public var tokenRoom: String? { nil }
    public var tokenSubject: String? { nil }
    public var isTokenModerator: Bool { false }
}
