import ParleyCore

/// A refreshed token on resumption (XEP-0198 `<resume/>` on a connection whose `?token=` is new): lib-jitsi-meet
/// refreshes a token by reconnecting with it and `previd` (`xmpp.ts` `refreshToken`), and Jitsi checks the new
/// claims against the room the session was admitted to (`mod_token_verification`). The new token has passed
/// every login check already; this decides whether it still covers what the old one admitted.
///
/// The session keeps its old, narrower claims either way; a refusal makes the resumption fail (`<failed/>`), and
/// the client starts a new session whose joins are checked against the new token.
enum TokenRefresh {
    /// Nil when the session may resume; otherwise the reason (for the log, never the token).
    ///
    /// - the old session had no token, or the new connection none (a host with `allow_empty`): nothing to compare;
    /// - the new `room` claim must be `*` or the old one (case aside) when the old one named a room;
    /// - with `verify_subject`, the new `sub` must be `*` or the old one.
    static func refusal(oldRoom: String?, oldSubject: String?, new claims: TokenClaims?) -> String? {
        guard let claims else { return nil }
        if let oldRoom, let newRoom = claims.room, newRoom != "*", newRoom.lowercased() != oldRoom.lowercased() {
            return "the refreshed token is for another room"
        }
        if let oldRoom, claims.room == nil, oldRoom != "*" {
            return "the refreshed token names no room"
        }
        if let oldSubject, let newSubject = claims.subject, newSubject != "*",
            newSubject.lowercased() != oldSubject.lowercased()
        {
            return "the refreshed token is for another tenant or domain"
        }
        return nil
    }
}
