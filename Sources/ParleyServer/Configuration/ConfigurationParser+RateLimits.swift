import ParleyCore
import Yams

/// The `rate_limits` section (`ServerConfiguration.RateLimits`), `c2s.rate_limit` and `http.trusted_proxies`.
extension ConfigurationParser {
    static let rateLimitsKeys = [
        "login_rate", "session_rate", "timeout", "allow", "unlimited_jids", "cache_size", "presence_rate", "iq_rate",
        "message_rate",
    ]

    /// `.some(nil)` for `rate_limits: null`; nil when the section has errors (already reported).
    func parseRateLimits(_ node: Node, keyPath: String) -> ServerConfiguration.RateLimits?? {
        if self.isNull(node) { return .some(nil) }
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.rateLimitsKeys) else { return nil }
        var limits = ServerConfiguration.RateLimits()
        self.assign(fields, "login_rate", to: &limits.loginRate) { self.integer($0, $1, in: 1...100_000) }
        self.assign(fields, "session_rate", to: &limits.sessionRate) { self.integer($0, $1, in: 1...1_073_741_824) }
        self.assign(fields, "timeout", to: &limits.timeout) { self.integer($0, $1, in: 1...86_400) }
        self.assign(fields, "allow", to: &limits.allow, self.networks)
        self.assign(fields, "unlimited_jids", to: &limits.unlimitedJIDs, self.jidList)
        self.assign(fields, "cache_size", to: &limits.cacheSize) { self.integer($0, $1, in: 1...10_000_000) }
        self.assign(fields, "presence_rate", to: &limits.presenceRate) { self.integer($0, $1, in: 1...100_000) }
        self.assign(fields, "iq_rate", to: &limits.iqRate) { self.integer($0, $1, in: 1...100_000) }
        self.assign(fields, "message_rate", to: &limits.messageRate) { self.integer($0, $1, in: 1...100_000) }
        return .some(limits)
    }

    /// `c2s.rate_limit`: bytes per second, or null.
    func rateLimit(_ node: Node, _ keyPath: String) -> Int?? {
        if self.isNull(node) { return .some(nil) }
        return self.integer(node, keyPath, in: 64...1_073_741_824).map { .some($0) }
    }
}
