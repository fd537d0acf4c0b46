import ParleyCore

/// One virtual host that accepts client connections (RFC 6120 §4.7.2 `to`): its domain and how
/// its users authenticate.
public struct HostConfiguration: Sendable, Hashable {
    public enum Authentication: String, Sendable, Hashable {
        /// SASL ANONYMOUS with a random lowercase username (Jitsi's `jitsi-anonymous`).
        case anonymous
        /// Accounts with SCRAM credentials in the account store (Prosody's `internal_hashed`).
        case internalHashed = "internal_hashed"
        /// SASL ANONYMOUS admitted by the JSON Web Token on the web session's URL (`?token=`), with a random
        /// username (Prosody's `token`, Jitsi's `mod_auth_token`).
        case token
    }

    public var domain: String
    public var authentication: Authentication
    /// Offered in this order.
    public var mechanisms: [SASLMechanismName]
    /// Overrides the c2s-wide `requireEncryption` when set.
    public var requireEncryption: Bool?
    /// How `token` hosts check tokens; nil on a token host refuses every login (no key was configured).
    public var token: TokenVerifier?
    /// Where a token host gets RS256/384/512 keys by `kid` (Jitsi's `asap_key_server`); nil: `token`'s own key.
    public var tokenKeyServer: KeyServer?

    public init(
        domain: String,
        authentication: Authentication,
        mechanisms: [SASLMechanismName]? = nil,
        requireEncryption: Bool? = nil,
        token: TokenVerifier? = nil
    ) {
        self.domain = domain
        self.authentication = authentication
        self.mechanisms =
            mechanisms ?? (authentication == .internalHashed ? [.scramSHA256, .scramSHA1, .plain] : [.anonymous])
        self.requireEncryption = requireEncryption
        self.token = token
    }
}
