import ParleyCore

extension ServerConfiguration {
    /// One entry of `hosts`: a virtual host that accepts client streams (`<stream:stream to='meet.jitsi'>`).
    ///
    /// ```yaml
    /// hosts:
    ///   - domain: auth.meet.jitsi
    ///     authentication: internal_hashed
    ///     sasl_mechanisms: [SCRAM-SHA-256, SCRAM-SHA-1]   # optional
    ///     require_encryption: true                        # optional, else c2s.require_encryption
    /// ```
    ///
    /// A host with `authentication: token` has a `token` section (`TokenAuthentication`).
    public struct Host: Sendable, Equatable {
        /// `domain`: the host's domain, prepared (lower-cased) as a JID domainpart.
        public var domain: String
        /// `authentication`: how clients of this host log in.
        public var authentication: Authentication
        /// `require_encryption`: overrides `c2s.require_encryption` for this host when set.
        public var requireEncryption: Bool?
        /// `sasl_mechanisms`: offered in this order. Defaults to `authentication.defaultSASLMechanisms`.
        public var saslMechanisms: [SASLMechanismName]
        /// `token`: how tokens are checked; set exactly when `authentication` is `token`.
        public var token: TokenAuthentication?

        /// A host; `saslMechanisms` nil means the default for `authentication`.
        public init(
            domain: String,
            authentication: Authentication = .internalHashed,
            requireEncryption: Bool? = nil,
            saslMechanisms: [SASLMechanismName]? = nil,
            token: TokenAuthentication? = nil
        ) {
            self.domain = domain
            self.authentication = authentication
            self.requireEncryption = requireEncryption
            self.saslMechanisms = saslMechanisms ?? authentication.defaultSASLMechanisms
            self.token = token
        }

        /// Whether streams to this host must be encrypted: the host's own setting, else `c2s.require_encryption`.
        public func requiresEncryption(inheriting c2s: C2S) -> Bool {
            self.requireEncryption ?? c2s.requireEncryption
        }
    }

    /// How the clients of a host authenticate.
    public enum Authentication: String, Sendable, Equatable, CaseIterable {
        /// SASL ANONYMOUS (RFC 4505): anyone gets a random JID. Jitsi's participants use this.
        case anonymous
        /// Accounts from the account store, which keeps only salted SCRAM credentials (Prosody's name).
        case internalHashed = "internal_hashed"
        /// SASL ANONYMOUS with a JSON Web Token from the web session's URL (Prosody's `token`, Jitsi's
        /// `mod_auth_token`): a random JID, admitted only with a valid token (or none, where `allow_empty`).
        case token

        /// The mechanisms a host offers when its `sasl_mechanisms` is not set.
        public var defaultSASLMechanisms: [SASLMechanismName] {
            switch self {
            case .anonymous, .token: [.anonymous]
            case .internalHashed: [.scramSHA256, .scramSHA1, .plain]
            }
        }

        /// Whether `mechanism` can work with this kind of authentication.
        public func supports(_ mechanism: SASLMechanismName) -> Bool {
            switch (self, mechanism) {
            case (.anonymous, .anonymous), (.token, .anonymous): true
            case (.anonymous, .scramSHA256), (.anonymous, .scramSHA1), (.anonymous, .plain): false
            case (.token, .scramSHA256), (.token, .scramSHA1), (.token, .plain): false
            case (.internalHashed, .anonymous): false
            case (.internalHashed, .scramSHA256), (.internalHashed, .scramSHA1), (.internalHashed, .plain): true
            }
        }
    }
}
