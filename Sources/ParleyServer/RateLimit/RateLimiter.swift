import NIOCore
import Synchronization

/// Jitsi's `mod_rate_limit` for the whole server: the table of client addresses behind one lock. Only session
/// starts take the lock (a login, not a stanza); each session keeps its own stanza throttles
/// (`SessionStanzaRates`) on its loop.
final class RateLimiter: Sendable {
    let settings: RateLimitSettings
    private let table: Mutex<LoginRateTable>

    init(settings: RateLimitSettings) {
        self.settings = settings
        self.table = Mutex(LoginRateTable(settings: settings))
    }

    /// A session starts from `address` (nil: not an IP socket): whether to slow it from the start. Exempt
    /// addresses are never counted.
    func sessionStarted(from address: String?) -> Bool {
        guard let address, !self.settings.isExempt(address) else { return false }
        let now = Self.nowMillis
        return self.table.withLock { $0.sessionStarted(from: address, nowMillis: now) }
    }

    /// Addresses limited now.
    var limitedAddresses: Int {
        let now = Self.nowMillis
        return self.table.withLock { $0.limitedCount(nowMillis: now) }
    }

    static var nowMillis: Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }
}
