/// A token bucket: up to `capacity` tokens, refilled at `refillPerSecond`, taken by events (one join, one login)
/// or by bytes. Prosody's `util.throttle` (`create(max, period)`: `max` per `period` seconds, starting full), which
/// Jitsi's `mod_rate_limit` and `mod_muc_rate_limit` use, is this with `capacity = max` and
/// `refillPerSecond = max / period`.
///
/// Pure: the time comes in as milliseconds from any monotonic origin, so tests pin it. A clock that goes back is
/// treated as standing still.
public struct TokenBucket: Sendable, Hashable {
    public let capacity: Double
    public let refillPerSecond: Double
    public private(set) var tokens: Double
    private var lastMillis: Int64?

    /// `capacity` and `refillPerSecond` are clamped to at least a millionth, so a bucket always refills.
    public init(capacity: Double, refillPerSecond: Double) {
        self.capacity = max(capacity, 1e-6)
        self.refillPerSecond = max(refillPerSecond, 1e-6)
        self.tokens = self.capacity
    }

    /// Prosody's `util.throttle.create(max, period)`.
    public init(max: Double, per period: Double) {
        self.init(capacity: max, refillPerSecond: max / Swift.max(period, 1e-6))
    }

    private mutating func refill(nowMillis: Int64) {
        if let last = self.lastMillis, nowMillis > last {
            let elapsed = Double(nowMillis - last) / 1000
            self.tokens = min(self.capacity, self.tokens + elapsed * self.refillPerSecond)
        }
        if self.lastMillis.map({ nowMillis > $0 }) ?? true { self.lastMillis = nowMillis }
    }

    /// Takes `amount` tokens if there are that many: true. Otherwise takes none: false (`util.throttle:poll`).
    public mutating func take(_ amount: Double = 1, nowMillis: Int64) -> Bool {
        self.refill(nowMillis: nowMillis)
        guard self.tokens >= amount else { return false }
        self.tokens -= amount
        return true
    }

    /// Takes `amount` tokens even when that leaves the bucket in debt (bytes already read cannot be unread);
    /// returns the milliseconds until the bucket is out of debt again, 0 when it is not in debt.
    public mutating func spend(_ amount: Double, nowMillis: Int64) -> Int64 {
        self.refill(nowMillis: nowMillis)
        self.tokens -= amount
        return self.millisUntilSolvent
    }

    /// The tokens there are now (refilled up to `now`).
    public mutating func available(nowMillis: Int64) -> Double {
        self.refill(nowMillis: nowMillis)
        return self.tokens
    }

    /// Milliseconds until there are `amount` tokens (0 when there are), `amount` at most the capacity.
    public func millisUntil(_ amount: Double) -> Int64 {
        let missing = min(amount, self.capacity) - self.tokens
        guard missing > 0 else { return 0 }
        return Int64(min(missing / self.refillPerSecond * 1000, 86_400_000).rounded(.up))
    }

    /// Milliseconds until the tokens are back to zero from a debt (0 when there is none).
    public var millisUntilSolvent: Int64 {
        guard self.tokens < 0 else { return 0 }
        let seconds = -self.tokens / self.refillPerSecond
        return Int64(min(seconds * 1000, 86_400_000).rounded(.up))
    }
}
