import ParleyCore

extension ServerConfiguration {
    /// `external_services`: the STUN and TURN servers every host hands its signed-in sessions (XEP-0215), as
    /// Prosody's `mod_external_services` options (`external_services`, `external_service_secret`,
    /// `external_service_ttl`, `external_service_access`) describe them.
    ///
    /// ```yaml
    /// external_services:
    ///   secret_env: TURN_CREDENTIALS        # coturn's static-auth-secret
    ///   ttl: 86400
    ///   services:
    ///     - { type: stun, host: turn.example.org, port: 3478 }
    ///     - { type: turn, host: turn.example.org, port: 3478, transport: udp, secret: true }
    ///     - { type: turns, host: turn.example.org, port: 5349, transport: tcp, secret: true }
    /// ```
    ///
    /// The `description` never shows the secret.
    public struct ExternalServices: Sendable, Equatable, CustomStringConvertible {
        /// `services`, in file order; empty serves nothing and advertises nothing.
        public var services: [ExternalService]
        /// `secret`: the shared secret written in the file (discouraged outside tests).
        public var secret: String?
        /// `secret_env`: the name of the environment variable holding the shared secret.
        public var secretEnvironment: String?
        /// `ttl` (seconds): how long time-limited credentials stay valid, unless a service sets its own.
        public var ttl: Int
        /// `access`: bare JIDs or domains allowed to ask; empty allows every session of the hosts.
        public var access: [JID]

        public init(
            services: [ExternalService] = [],
            secret: String? = nil,
            secretEnvironment: String? = nil,
            ttl: Int = 86_400,
            access: [JID] = []
        ) {
            self.services = services
            self.secret = secret
            self.secretEnvironment = secretEnvironment
            self.ttl = ttl
            self.access = access
        }

        /// The shared secret: the literal one if set, else the value of `secretEnvironment` in `environment`.
        /// Nil when neither gives a non-empty string.
        public func resolvedSecret(environment: [String: String]) -> String? {
            if let secret = self.secret, !secret.isEmpty { return secret }
            guard let name = self.secretEnvironment, let value = environment[name], !value.isEmpty else { return nil }
            return value
        }

        /// What the hosts serve, with the secret from `environment`; nil when there is no service to serve. The
        /// warnings (never containing the secret) name the services left out for want of a secret.
        public func discovery(
            environment: [String: String]
        ) -> (discovery: ExternalServiceDiscovery?, warnings: [String]) {
            guard !self.services.isEmpty else { return (nil, []) }
            let secret = self.resolvedSecret(environment: environment)
            var warnings: [String] = []
            if secret == nil {
                let source = self.secretEnvironment.map { "\($0) is not set" } ?? "no secret is configured"
                for service in self.services {
                    guard case .timeLimited = service.credentials else { continue }
                    warnings.append("external service \(service) is not offered: \(source)")
                }
            }
            let discovery = ExternalServiceDiscovery(
                services: self.services,
                secret: secret,
                defaultTTL: self.ttl,
                access: self.access
            )
            return (discovery.services.isEmpty ? nil : discovery, warnings)
        }

        public var description: String {
            var text = self.services.map(\.description).joined(separator: ", ")
            if let name = self.secretEnvironment {
                text += " (secret from $\(name))"
            } else if self.secret != nil {
                text += " (literal secret)"
            }
            return text
        }
    }
}
