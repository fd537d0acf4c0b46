/// What a verified token says (Jitsi's token claims, lib-jitsi-meet `doc/tokens.md`): what `token/util.lib.lua`
/// binds to the session as `jitsi_meet_room`, `jitsi_meet_domain` and `jitsi_meet_context_{user,group,features}`.
public struct TokenClaims: Sendable, Hashable {
    /// `room`: the room the token admits to, or `*` for any.
    public var room: String?
    /// `sub`: the domain or tenant, or `*`.
    public var subject: String?
    /// `iss`.
    public var issuer: String?
    /// `context.user`: `id`, `name`, `email`, `avatar`, `moderator`, as the token has them.
    public var user: JSONValue?
    /// `context.group`.
    public var group: JSONValue?
    /// `context.features`.
    public var features: JSONValue?
    /// All the claims, as sent.
    public var all: [String: JSONValue]

    public init(_ claims: [String: JSONValue]) {
        self.all = claims
        self.room = claims["room"]?.string
        self.subject = claims["sub"]?.string
        self.issuer = claims["iss"]?.string
        let context = claims["context"]
        self.user = context?["user"]
        self.group = context?["group"]
        self.features = context?["features"]
    }

    /// `context.user.moderator` is `true` (or the string `"true"`, as some token issuers write it).
    public var isModerator: Bool {
        switch self.user?["moderator"] {
        case .bool(let value): value
        case .string(let value): value.lowercased() == "true"
        default: false
        }
    }
}
