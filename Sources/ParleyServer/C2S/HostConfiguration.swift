import ParleyCore

/// One virtual host that accepts client connections (RFC 6120 §4.7.2 `to`): its domain and how
/// its users authenticate.
public struct HostConfiguration: Sendable, Hashable {
    public enum Authentication: String, Sendable, Hashable {
        /// SASL ANONYMOUS with a random lowercase username (Jitsi's `jitsi-anonymous`).
        case anonymous
        /// Accounts with SCRAM credentials in the account store (Prosody's `internal_hashed`).
        case internalHashed = "internal_hashed"
    }

    public var domain: String
    public var authentication: Authentication
    /// Offered in this order.
    public var mechanisms: [SASLMechanismName]
    /// Overrides the c2s-wide `requireEncryption` when set.
    public var requireEncryption: Bool?

    public init(
        domain: String, authentication: Authentication, mechanisms: [SASLMechanismName]? = nil,
        requireEncryption: Bool? = nil
    ) {
        self.domain = domain
        self.authentication = authentication
        self.mechanisms =
            mechanisms ?? (authentication == .anonymous ? [.anonymous] : [.scramSHA256, .scramSHA1, .plain])
        self.requireEncryption = requireEncryption
    }
}
