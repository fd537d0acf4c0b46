import ParleyCore

/// Jitsi's `mod_rate_limit` bookkeeping per client address: a throttle of session starts (`login_rates`) and the
/// time an address last went over it (`limited_ips`), both in caches of `cacheSize` addresses where the oldest
/// address is forgotten first. Pure: the time comes in.
struct LoginRateTable {
    private struct Entry {
        var logins: TokenBucket
        var limitedAtMillis: Int64?
    }

    let settings: RateLimitSettings
    private var entries: [String: Entry] = [:]
    /// Addresses in the order they were first seen, for forgetting the oldest; `head` skips the forgotten ones.
    private var order: [String] = []
    private var head = 0

    init(settings: RateLimitSettings) { self.settings = settings }

    /// How many addresses are remembered.
    var count: Int { self.entries.count }

    /// Addresses limited now (Jitsi's `limited-ips` measure).
    func limitedCount(nowMillis: Int64) -> Int {
        self.entries.values.filter { entry in
            entry.limitedAtMillis.map { nowMillis - $0 < self.settings.timeoutSeconds * 1000 } ?? false
        }.count
    }

    /// A session starts from `address`: whether it is to be slowed. It is when this start goes over the address's
    /// login rate (the address is then limited from now), or when the address went over it less than `timeout`
    /// seconds ago (Jitsi refreshes the limit when that was under 5 s ago).
    mutating func sessionStarted(from address: String, nowMillis: Int64) -> Bool {
        var entry =
            self.entries[address]
            ?? Entry(logins: TokenBucket(max: self.settings.loginRate, per: self.settings.period), limitedAtMillis: nil)
        if self.entries[address] == nil { self.remember(address) }
        var limited = false
        if !entry.logins.take(nowMillis: nowMillis) {
            entry.limitedAtMillis = nowMillis
            limited = true
        } else if let since = entry.limitedAtMillis {
            let elapsed = nowMillis - since
            if elapsed < 5000 {
                entry.limitedAtMillis = nowMillis
                limited = true
            } else if elapsed < self.settings.timeoutSeconds * 1000 {
                limited = true
            } else {
                entry.limitedAtMillis = nil
            }
        }
        self.entries[address] = entry
        return limited
    }

    private mutating func remember(_ address: String) {
        self.order.append(address)
        while self.entries.count >= max(self.settings.cacheSize, 1), self.head < self.order.count {
            self.entries[self.order[self.head]] = nil
            self.head += 1
        }
        if self.head > 1024, self.head * 2 > self.order.count {
            self.order.removeFirst(self.head)
            self.head = 0
        }
    }
}
