import ParleyCore

/// Jitsi's `mod_muc_rate_limit` for joins: at most `rate` new occupants per second enter one room; the rest wait
/// in arrival order and enter `rate` per second, instead of being refused. A storm of joins into one conference
/// then costs its occupants a presence broadcast at a time the room can afford.
///
/// As in Jitsi: the throttle starts full (`util.throttle.create(rate, 1)`), a join that arrives while others wait
/// queues behind them, and a full queue (`capacity`, 1,000 as Jitsi's `PRESENCE_QUEUE_MAX_SIZE`) lets the join
/// through at once rather than lose it. Pure and generic over what waits, so tests need no room; `MUCRoom` keeps
/// one per room and runs its drain timer.
public struct JoinRateQueue<Item> {
    public let rate: Int
    public let capacity: Int
    private var bucket: TokenBucket
    public private(set) var waiting: [Item] = []

    public init(rate: Int, capacity: Int = 1000) {
        self.rate = max(rate, 1)
        self.capacity = max(capacity, 0)
        self.bucket = TokenBucket(max: Double(self.rate), per: 1)
    }

    /// A join arriving: returned when it may enter now, nil when it waits.
    public mutating func admit(_ item: Item, nowMillis: Int64) -> Item? {
        if self.waiting.isEmpty, self.bucket.take(nowMillis: nowMillis) { return item }
        guard self.waiting.count < self.capacity else { return item }
        self.waiting.append(item)
        return nil
    }

    /// Called once a second while joins wait: the next `rate` of them, in arrival order.
    public mutating func due() -> [Item] {
        let count = min(self.rate, self.waiting.count)
        let due = Array(self.waiting.prefix(count))
        self.waiting.removeFirst(count)
        return due
    }

    /// Drops waiting joins (their sender left, or sent unavailable before entering).
    public mutating func remove(where predicate: (Item) -> Bool) {
        self.waiting.removeAll(where: predicate)
    }

    /// Every waiting join, emptying the queue (the room is going away: they are handled afresh).
    public mutating func removeAll() -> [Item] {
        defer { self.waiting = [] }
        return self.waiting
    }
}
