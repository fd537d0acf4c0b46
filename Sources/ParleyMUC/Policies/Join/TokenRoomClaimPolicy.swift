import ParleyCore

/// The room claim of the joiner's JSON Web Token (Jitsi's `mod_token_verification`, `token/util.lib.lua`
/// `verify_room` without domain verification): a session that logged in with a token whose `room` claim names a
/// room may enter or create only that room (its room node equal to the claim in lower case); `*` allows any room.
/// Sessions without a token (an anonymous host, `allow_empty`) and admins (focus) are not restricted, as in Jitsi.
/// A refusal is `cancel/not-allowed` "Room and token mismatched".
///
/// Not in `JoinPolicies.standard`: it depends on the sender's session, not on the room, so `MUCService` applies it
/// to every available presence to an occupant JID before any room sees it (Jitsi hooks both
/// `muc-room-pre-create` and `muc-occupant-pre-join`), the same way it applies `DomainAccessPolicy` before it
/// creates a room.
public enum TokenRoomClaimPolicy {
    /// Whether a session whose token claims `tokenRoom` (nil: no token, or no room claim) may enter `room`.
    public static func verdict(room: String, tokenRoom: String?, isAdmin: Bool) -> JoinVerdict {
        guard let tokenRoom, !isAdmin, tokenRoom != "*" else { return .admit }
        if room == tokenRoom.lowercased() { return .admit }
        return .refuse(StanzaError(.notAllowed, type: .cancel, text: "Room and token mismatched"))
    }
}
