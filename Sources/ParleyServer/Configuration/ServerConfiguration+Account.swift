import ParleyCore

extension ServerConfiguration {
    /// One entry of `accounts`: a service account (Jicofo, the videobridge, Jibri) declared in the file.
    ///
    /// ```yaml
    /// accounts:
    ///   - jid: focus@auth.meet.jitsi
    ///     password_env: JICOFO_AUTH_PASSWORD
    /// ```
    ///
    /// `AccountProvisioner` writes the resolved password's SCRAM credentials to the account store at start-up.
    /// The `description` never shows a literal password.
    public struct Account: Sendable, Equatable, CustomStringConvertible {
        /// `jid`: the account's bare JID; its domain is an `internal_hashed` host.
        public var jid: JID
        /// `password`: a literal password (discouraged outside tests).
        public var password: String?
        /// `password_env`: the name of the environment variable holding the password.
        public var passwordEnvironment: String?

        public init(jid: JID, password: String? = nil, passwordEnvironment: String? = nil) {
            self.jid = jid
            self.password = password
            self.passwordEnvironment = passwordEnvironment
        }

        /// The password: the literal one if set, else the value of `passwordEnvironment` in `environment`.
        /// Nil when neither gives a non-empty string.
        public func resolvedPassword(environment: [String: String]) -> String? {
            if let password = self.password, !password.isEmpty { return password }
            guard let name = self.passwordEnvironment, let value = environment[name], !value.isEmpty else {
                return nil
            }
            return value
        }

        public var description: String {
            if let name = self.passwordEnvironment { return "\(self.jid) (password from $\(name))" }
            if self.password != nil { return "\(self.jid) (literal password)" }
            return "\(self.jid) (no password)"
        }
    }
}
