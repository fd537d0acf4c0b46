import ParleyCore

/// A time-limited TURN credential by the "TURN REST API" scheme (draft-uberti-behave-turn-rest-00 §2.2), which
/// coturn checks with `use-auth-secret` + `static-auth-secret` and Prosody's `mod_external_services` makes for
/// Jitsi (its `behave_turn_rest_credentials`):
///
/// - username: the expiry as Unix seconds, `"1735689600"`, or `"1735689600:<user>"` when a user is named;
/// - password: `base64(HMAC-SHA1(secret, username))`.
///
/// The TURN server recomputes the password from the username and the secret it shares with this server, and
/// refuses the credential once the expiry has passed; nothing is stored on either side.
public struct TURNRESTCredential: Sendable, Equatable, CustomStringConvertible {
    /// The Unix time (seconds) after which the TURN server refuses the credential.
    public let expiry: Int
    public let username: String
    public let password: String

    /// The credential for `secret` expiring at `expiry`, for `user` if given.
    public init(secret: some Collection<UInt8>, expiry: Int, user: String? = nil) {
        self.expiry = expiry
        if let user {
            self.username = "\(expiry):\(user)"
        } else {
            self.username = String(expiry)
        }
        self.password = Base64.encode(HashAlgorithm.sha1.hmac(key: secret, Array(self.username.utf8)))
    }

    /// The username only: the password never reaches a log.
    public var description: String { "TURN credential \(self.username)" }
}
