/// Every fan-out update's deliveries: when the update was sent, how many receivers got it, and when the last of
/// them did, so that a run counts every delivery per update and times each update to its last delivery (the
/// slowest of its room's receivers, the sender's own echo among them).
///
/// One tracker per worker, each on its own event loop; the runner merges them once the phase is over (a send is
/// recorded by the sender's worker, receipts by the receivers'). Memory is bounded: at most `maxUpdates` tags are
/// tracked, 20 bytes each, allocated when the run starts; a tag beyond them, or a duplicate send, is counted as
/// untracked and never indexes out of range.
public struct DeliveryTracker: Sendable {
    /// The most updates tracked in one run (20 MB of tables).
    public static let maxUpdates = 1_000_000

    /// Tags 0 ..< capacity are tracked.
    public let capacity: Int
    private var sentAt: [UInt64]
    private var lastAt: [UInt64]
    private var received: [UInt32]
    /// Receipts whose tag was outside the tracked range.
    public private(set) var untracked = 0
    /// Uptime nanoseconds of the latest receipt of a tracked update.
    public private(set) var lastReceiptAt: UInt64 = 0

    /// A tracker for `updates` tags (clamped to 0 ... `maxUpdates`).
    public init(updates: Int) {
        let capacity = min(max(0, updates), Self.maxUpdates)
        self.capacity = capacity
        self.sentAt = [UInt64](repeating: 0, count: capacity)
        self.lastAt = [UInt64](repeating: 0, count: capacity)
        self.received = [UInt32](repeating: 0, count: capacity)
    }

    /// Update `tag` left its sender at `time`.
    public mutating func sent(_ tag: Int, at time: UInt64) {
        guard tag >= 0 && tag < self.capacity else { return }
        self.sentAt[tag] = max(time, 1)
    }

    /// A receiver got update `tag` at `time`.
    public mutating func received(_ tag: Int, at time: UInt64) {
        guard tag >= 0 && tag < self.capacity else {
            self.untracked += 1
            return
        }
        if self.received[tag] < UInt32.max { self.received[tag] += 1 }
        if time > self.lastAt[tag] { self.lastAt[tag] = time }
        if time > self.lastReceiptAt { self.lastReceiptAt = time }
    }

    /// Adds another worker's sends and receipts (same capacity; a different one merges the common range).
    public mutating func merge(_ other: DeliveryTracker) {
        let count = min(self.capacity, other.capacity)
        for tag in 0..<count {
            if other.sentAt[tag] != 0 { self.sentAt[tag] = other.sentAt[tag] }
            self.lastAt[tag] = max(self.lastAt[tag], other.lastAt[tag])
            let sum = UInt64(self.received[tag]) + UInt64(other.received[tag])
            self.received[tag] = UInt32(clamping: sum)
        }
        self.untracked += other.untracked
        self.lastReceiptAt = max(self.lastReceiptAt, other.lastReceiptAt)
    }

    /// What the tracked updates add up to.
    public struct Summary: Sendable {
        /// Updates sent.
        public var updates = 0
        /// Sent updates every expected receiver got (exactly once).
        public var complete = 0
        /// Sent updates some receiver did not get.
        public var incomplete = 0
        /// Sent updates received more often than there are receivers.
        public var duplicated = 0
        /// Receipts of sent updates, and how many there should have been.
        public var deliveries = 0
        public var expected = 0
        /// Update sent → its last delivery, for the updates every receiver got.
        public var lastDelivery = LatencyRecorder()
    }

    /// Sums up the sent updates; `receivers(tag)` is how many should receive update `tag` (its room's occupants,
    /// the sender included).
    public func summary(receivers: (Int) -> Int) -> Summary {
        var summary = Summary()
        for tag in 0..<self.capacity where self.sentAt[tag] != 0 {
            let expected = max(0, receivers(tag))
            let got = Int(self.received[tag])
            summary.updates += 1
            summary.deliveries += got
            summary.expected += expected
            if got < expected {
                summary.incomplete += 1
            } else {
                if got > expected { summary.duplicated += 1 } else { summary.complete += 1 }
                let sent = self.sentAt[tag]
                let last = self.lastAt[tag]
                summary.lastDelivery.record(nanoseconds: last >= sent ? Int64(clamping: last - sent) : 0)
            }
        }
        return summary
    }
}
