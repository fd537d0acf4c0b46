import NIOCore
import ParleyCore

/// Rate limits on one session (issue 13.7): the bandwidth every session gets (Prosody's `limits.c2s.rate`), and
/// Jitsi's `mod_rate_limit` (`RateLimiter`): a session that starts while its address goes over the login rate, or
/// that sends presences, IQs or messages over their rates, is slowed to `session_rate` bytes per second for
/// `timeout` seconds after its last excess. Nothing is refused: its stanzas are read more slowly.
///
/// Exempt: loopback and `rate_limits.allow` addresses (behind a trusted proxy, the client's address from
/// `X-Forwarded-For`), and once authenticated, unlimited accounts (`c2s.unlimited_jids`, `rate_limits.unlimited_jids`).
struct SessionRateLimits {
    /// The session's stanza throttles; nil when none apply (off, exempt, or an unlimited account).
    var stanzas: SessionStanzaRates?
    /// Where the session is slowed back to its normal rate.
    var lift: Scheduled<Void>?
    /// The normal rate: `c2s.rate_limit`, or nil.
    var normalRate: Double?
    /// The session is slowed to `session_rate` now.
    var slowed = false
}

extension C2SSession {
    /// The connection is there: `address` is the client's (resolved through trusted proxies).
    /// `address` is read only when some limit is configured: formatting it costs an `inet_ntop` per connection.
    func startRateLimits(address addressText: @autoclosure () -> String?) {
        let settings = self.shared.settings
        let limiter = settings.rateLimiter
        guard settings.readRate != nil || limiter != nil else { return }
        let address = addressText()
        let exempt = limiter?.settings.isExempt(address) ?? IPAllowList().permits(address)
        if let rate = settings.readRate, !exempt {
            self.rateLimits.normalRate = rate
            self.transport?.limitReading(to: rate)
        }
        guard let limiter, !exempt else { return }
        self.rateLimits.stanzas = SessionStanzaRates(settings: limiter.settings)
        if limiter.sessionStarted(from: address) {
            self.logger.info("Login rate exceeded: reading slowly")
            self.slowDown()
        }
    }

    /// The session authenticated as `jid`: an unlimited account is read at full speed from now.
    func rateLimitsAuthenticated(_ jid: JID) {
        let unlimited =
            self.shared.settings.unlimitedJIDs.contains(jid.bare)
            || (self.shared.settings.rateLimiter?.settings.unlimitedJIDs.contains(jid.bare) ?? false)
        guard unlimited, self.rateLimits.normalRate != nil || self.rateLimits.stanzas != nil else { return }
        self.rateLimits.lift?.cancel()
        self.rateLimits = SessionRateLimits()
        self.transport?.limitReading(to: nil)
    }

    /// Counts a stanza the client sent against its kind's rate.
    func countForRateLimits(_ stanza: Stanza) {
        guard self.rateLimits.stanzas != nil,
            self.rateLimits.stanzas?.exceeded(by: stanza.kind, nowMillis: RateLimiter.nowMillis) == true
        else { return }
        if !self.rateLimits.slowed { self.logger.info("\(stanza.kind.rawValue) rate exceeded: reading slowly") }
        self.slowDown()
    }

    /// Reads at `session_rate` until `timeout` seconds pass without another excess.
    private func slowDown() {
        guard let settings = self.shared.settings.rateLimiter?.settings else { return }
        if !self.rateLimits.slowed {
            self.rateLimits.slowed = true
            self.transport?.limitReading(to: min(settings.sessionRate, self.rateLimits.normalRate ?? .infinity))
        }
        self.rateLimits.lift?.cancel()
        let session = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.rateLimits.lift = self.eventLoop.scheduleTask(in: .seconds(settings.timeoutSeconds)) {
            let session = session.value
            session.rateLimits.lift = nil
            session.rateLimits.slowed = false
            session.transport?.limitReading(to: session.rateLimits.normalRate)
        }
    }

    func stopRateLimits() {
        guard self.rateLimitsBox != nil else { return }
        self.rateLimits.lift?.cancel()
        self.rateLimits.lift = nil
    }
}
