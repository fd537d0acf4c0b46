import ParleyCore

/// The joiner's JSON Web Token against the room (Jitsi's `mod_token_verification`, `token/util.lib.lua`
/// `verify_room`): a session that logged in with a token whose `room` claim names a room may enter or create only
/// that room; `*` allows any room. Sessions without a token (an anonymous host, `allow_empty`) and admins (focus)
/// are not restricted, as in Jitsi. A refusal is `cancel/not-allowed` "Room and token mismatched".
///
/// Tenant-aware: a tenant's room `[acme]standup` (`MUCDomainMapper`) is judged by its room part, `standup`. With
/// the host's `verify_subject` (Jitsi's `enable_domain_verification`) the token's `sub` must also name the room's
/// place: the tenant for `[acme]standup`, the main domain for a room on `muc.<main domain>`, or `*`.
///
/// Deliberate difference: without domain verification Jitsi compares the whole node with the claim, so no token
/// but `room: '*'` ever enters a tenant's room; here the room part is compared, and the tenant is the business of
/// `sub` with domain verification on.
///
/// Not in `JoinPolicies.standard`: it depends on the sender's session, not on the room, so `MUCService` applies it
/// to every available presence to an occupant JID before any room sees it (Jitsi hooks both
/// `muc-room-pre-create` and `muc-occupant-pre-join`), the same way it applies `DomainAccessPolicy` before it
/// creates a room.
public enum TokenRoomClaimPolicy {
    /// What a session's token says about rooms.
    public struct Claim: Sendable, Hashable {
        /// The `room` claim; nil: no token, or no room claim.
        public var room: String?
        /// The `sub` claim, when the host verifies it (nil otherwise).
        public var subject: String?

        public init(room: String?, subject: String? = nil) {
            self.room = room
            self.subject = subject
        }
    }

    /// Whether a session whose token says `claim` may enter `room` (the room node) on the MUC `service`.
    public static func verdict(room: String, service: String, claim: Claim, isAdmin: Bool) -> JoinVerdict {
        guard !isAdmin else { return .admit }
        let (tenant, name) = Self.split(room)
        if let claimed = claim.room, claimed != "*", name != claimed.lowercased() { return Self.mismatch }
        if let subject = claim.subject?.lowercased(), subject != "*" {
            if let tenant {
                if tenant.lowercased() != subject { return Self.mismatch }
            } else if let dot = service.firstIndex(of: "."), service[service.index(after: dot)...] != subject {
                return Self.mismatch
            }
        }
        return .admit
    }

    /// The earlier form, for a room claim alone.
    public static func verdict(room: String, tokenRoom: String?, isAdmin: Bool) -> JoinVerdict {
        Self.verdict(room: room, service: "", claim: Claim(room: tokenRoom), isAdmin: isAdmin)
    }

    private static let mismatch = JoinVerdict.refuse(
        StanzaError(.notAllowed, type: .cancel, text: "Room and token mismatched")
    )

    /// `[acme]standup` → (`acme`, `standup`); anything else is a room without a tenant.
    static func split(_ node: String) -> (tenant: Substring?, room: Substring) {
        guard node.utf8.first == UInt8(ascii: "["), let close = node.firstIndex(of: "]") else {
            return (nil, node[...])
        }
        let tenant = node[node.index(after: node.startIndex)..<close]
        let room = node[node.index(after: close)...]
        guard !tenant.isEmpty, !room.isEmpty else { return (nil, node[...]) }
        return (tenant, room)
    }
}
