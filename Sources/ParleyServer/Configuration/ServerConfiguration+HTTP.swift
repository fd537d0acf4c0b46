extension ServerConfiguration {
    /// `http`: the BOSH and WebSocket listener (`listen.http_port`).
    ///
    /// ```yaml
    /// http:
    ///   cors_origins: ["https://meet.example.org"]
    ///   bosh_max_wait: 60
    ///   bosh_inactivity: 60
    ///   behind_tls_proxy: true
    /// ```
    public struct HTTP: Sendable, Equatable {
        /// `cors_origins`: browser origins allowed to use BOSH from another site; `*` for any.
        public var corsOrigins: [String] = []
        /// `bosh_max_wait` (seconds): the cap on a BOSH request's `wait` (XEP-0124 §7.1).
        public var boshMaxWait = 60
        /// `bosh_inactivity` (seconds): a BOSH session with no request for this long ends.
        public var boshInactivity = 60
        /// `behind_tls_proxy`: nginx terminates TLS in front (Jitsi's `consider_bosh_secure`); when false,
        /// web clients are held to `c2s.require_encryption`.
        public var behindTLSProxy = true
        /// `trusted_proxies`: peers whose `X-Forwarded-For` names the client, for rate limits (Prosody's
        /// `trusted_proxies`, docker's `PROSODY_TRUSTED_PROXIES`): nginx on the same machine.
        public var trustedProxies: [IPNetwork] = IPAllowList.loopback

        public init() {}
    }
}
