extension ServerConfiguration {
    /// `control`: the test control API (`Docs/Testing-Jicofo.md`), off unless turned on. It listens on 127.0.0.1
    /// only, whatever `listen.address` says, and every request must carry the token as a bearer token.
    ///
    /// ```yaml
    /// control:
    ///   enabled: true
    ///   port: 5290
    ///   token_env: PARLEY_CONTROL_TOKEN
    /// ```
    public struct Control: Sendable, Equatable {
        /// `enabled`: serve the control API.
        public var enabled = false
        /// `port`: its loopback port; 0 for a free one.
        public var port = 5290
        /// `token`: the bearer token every request must carry.
        public var token: String?
        /// `token_env`: the environment variable holding the token (instead of `token`).
        public var tokenEnvironment: String?

        public init() {}

        /// The token in force: `token`, or the variable `token_env` names.
        public func resolvedToken(environment: [String: String]) -> String? {
            if let token, !token.isEmpty { return token }
            return self.tokenEnvironment.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        }
    }
}
