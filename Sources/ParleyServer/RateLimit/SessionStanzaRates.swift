import ParleyCore

/// One session's stanza throttles (Jitsi's `mod_rate_limit` `filter_stanza`): presences, IQs and messages per
/// `period`. Going over any of them slows the session's reading; the stanza itself is still handled, as in Jitsi.
struct SessionStanzaRates {
    private var presence: TokenBucket
    private var iq: TokenBucket
    private var message: TokenBucket

    init(settings: RateLimitSettings) {
        self.presence = TokenBucket(max: settings.presenceRate, per: settings.period)
        self.iq = TokenBucket(max: settings.iqRate, per: settings.period)
        self.message = TokenBucket(max: settings.messageRate, per: settings.period)
    }

    /// Counts a stanza the client sent: true when it went over its kind's rate.
    mutating func exceeded(by kind: Stanza.Kind, nowMillis: Int64) -> Bool {
        switch kind {
        case .presence: !self.presence.take(nowMillis: nowMillis)
        case .iq: !self.iq.take(nowMillis: nowMillis)
        case .message: !self.message.take(nowMillis: nowMillis)
        }
    }
}
