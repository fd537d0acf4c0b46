import ParleyCore

extension ServerConfiguration {
    /// `rate_limits`: Jitsi's `mod_rate_limit` (docker's `PROSODY_ENABLE_RATE_LIMITS`), off (null) in the preset.
    /// A client address that starts sessions faster than `login_rate`, and a session that sends presences, IQs or
    /// messages faster than their rates, are read at `session_rate` bytes per second for `timeout` seconds: slowed,
    /// not refused. Loopback (127.0.0.1, ::1), `allow` and the unlimited accounts are exempt; behind a trusted
    /// proxy (`http.trusted_proxies`) the client's address comes from `X-Forwarded-For`.
    ///
    /// ```yaml
    /// rate_limits:
    ///   login_rate: 3          # sessions per address per 2 s (rate_limit_login_rate)
    ///   session_rate: 2000     # bytes/s a limited session may send (rate_limit_session_rate)
    ///   timeout: 60            # seconds a limit lasts after the last excess (rate_limit_timeout)
    ///   allow: [10.0.0.0/8]    # never limited besides loopback (rate_limit_whitelist)
    ///   unlimited_jids: []     # never limited besides c2s.unlimited_jids (rate_limit_whitelist_jids)
    ///   cache_size: 10000      # addresses remembered (rate_limit_cache_size)
    ///   presence_rate: 4       # per session per 2 s (rate_limit_presence_rate)
    ///   iq_rate: 10            # (rate_limit_iq_rate)
    ///   message_rate: 3        # (rate_limit_message_rate)
    /// ```
    public struct RateLimits: Sendable, Equatable {
        public var loginRate = 3
        public var sessionRate = 2000
        public var timeout = 60
        public var allow: [IPNetwork] = []
        public var unlimitedJIDs: [JID] = []
        public var cacheSize = 10_000
        public var presenceRate = 4
        public var iqRate = 10
        public var messageRate = 3

        public init() {}

        /// As the server runs them, with `c2s.unlimited_jids` exempt too.
        func settings(unlimited: [JID]) -> RateLimitSettings {
            var settings = RateLimitSettings()
            settings.loginRate = Double(self.loginRate)
            settings.sessionRate = Double(self.sessionRate)
            settings.timeoutSeconds = Int64(self.timeout)
            settings.allow = self.allow
            settings.unlimitedJIDs = Set((self.unlimitedJIDs + unlimited).map(\.bare))
            settings.cacheSize = self.cacheSize
            settings.presenceRate = Double(self.presenceRate)
            settings.iqRate = Double(self.iqRate)
            settings.messageRate = Double(self.messageRate)
            return settings
        }
    }
}
