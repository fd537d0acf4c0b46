import ParleyCore

/// What Jitsi's `mod_rate_limit` checks, as the server runs it (from `ServerConfiguration.RateLimits`, docker's
/// `PROSODY_ENABLE_RATE_LIMITS`): logins per client address, stanzas per session, and how a session over a limit
/// is slowed. Every rate is "so many per `period` seconds", as Prosody's `util.throttle.create(rate, 2)` counts.
struct RateLimitSettings: Sendable {
    /// Sessions started per address per `period` (`rate_limit_login_rate`).
    var loginRate: Double = 3
    /// Bytes per second a limited session may send (`rate_limit_session_rate`).
    var sessionRate: Double = 2000
    /// Seconds an address, or a session, stays limited after its last excess (`rate_limit_timeout`).
    var timeoutSeconds: Int64 = 60
    /// Addresses never limited, besides 127.0.0.1 and ::1 (`rate_limit_whitelist`).
    var allow: [IPNetwork] = []
    /// Accounts never limited (`rate_limit_whitelist_jids`, and `c2s.unlimited_jids`).
    var unlimitedJIDs: Set<JID> = []
    /// Addresses remembered at once (`rate_limit_cache_size`); the oldest are forgotten first.
    var cacheSize = 10_000
    /// Presences, IQs and messages per session per `period` (`rate_limit_presence_rate`, `_iq_rate`,
    /// `_message_rate`).
    var presenceRate: Double = 4
    var iqRate: Double = 10
    var messageRate: Double = 3
    /// The window of every rate, in seconds (Jitsi's throttles are `create(rate, 2)`).
    var period: Double = 2

    /// 127.0.0.1, ::1 and `allow`.
    func isExempt(_ address: String?) -> Bool {
        guard let address else { return true }  // not an IP socket: nothing to count
        return IPAllowList(self.allow).permits(address)
    }
}
