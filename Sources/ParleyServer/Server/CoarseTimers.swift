import NIOCore

/// Timers for many sessions on one event loop, to a quarter of a second: the negotiation timeout of every new
/// connection (RFC 6120 §13.12), BOSH's held requests (XEP-0124 §7.1 `wait`) and its inactivity limit (Prosody's
/// `bosh_max_inactivity`). Setting one is a table insert and cancelling it a table removal, whatever the number of
/// timers.
///
/// NIO keeps its scheduled tasks in a heap whose `cancel` searches it: with a thousand BOSH sessions, each request
/// cancelled two timers at ~5,000 instructions apiece, and scheduling one (a promise and its future) cost ~2,600
/// (callgrind, Docs/benchmark-details.md). Here one repeated NIO task ticks while any timer is set and fires the
/// timers whose tick has come; a cancelled timer leaves only its number in its tick's bucket until that tick.
/// Loop-bound: one per event loop (`PerEventLoop`), every method on that loop.
final class CoarseTimers {
    /// A timer set, to cancel it.
    struct Token: Hashable {
        fileprivate let id: UInt64
    }

    /// The resolution: a timer fires on the first tick at or after its deadline.
    static let tick = TimeAmount.milliseconds(250)

    private let eventLoop: any EventLoop
    /// The time on the loop's clock (an embedded loop's in tests).
    private let clock: () -> NIODeadline
    private var actions: [UInt64: () -> Void] = [:]
    /// Timer numbers by the tick they are due on.
    private var buckets: [Int64: [UInt64]] = [:]
    private var nextID: UInt64 = 1
    private var ticker: RepeatedTask?
    /// The last tick whose bucket was emptied.
    private var lastTick: Int64 = 0

    init(eventLoop: any EventLoop, clock: @escaping () -> NIODeadline = NIODeadline.now) {
        self.eventLoop = eventLoop
        self.clock = clock
    }

    /// Sets a timer: `action` runs on the loop once `delay` has passed (at most a tick later), unless cancelled.
    func schedule(in delay: TimeAmount, _ action: @escaping () -> Void) -> Token {
        let id = self.nextID
        self.nextID &+= 1
        let now = CoarseTimers.tickNumber(self.clock())
        if self.ticker == nil { self.start(at: now) }
        // Rounded up to whole ticks, without overflow whatever the configured delay.
        let tick = CoarseTimers.tick.nanoseconds
        let ticks = max(1, delay.nanoseconds / tick + (delay.nanoseconds % tick > 0 ? 1 : 0))
        let (due, overflow) = now.addingReportingOverflow(ticks)
        self.buckets[overflow ? Int64.max : due, default: []].append(id)
        self.actions[id] = action
        return Token(id: id)
    }

    /// Cancels a timer; nothing if it has fired or was cancelled.
    func cancel(_ token: Token) {
        self.actions[token.id] = nil
    }

    /// Timers set and not yet fired or cancelled.
    var count: Int { self.actions.count }

    /// Whether the repeated task runs (it stops once no timer, cancelled or not, is left in a bucket).
    var isTicking: Bool { self.ticker != nil }

    private static func tickNumber(_ deadline: NIODeadline) -> Int64 {
        Int64(deadline.uptimeNanoseconds / UInt64(CoarseTimers.tick.nanoseconds))
    }

    private func start(at tick: Int64) {
        self.lastTick = tick
        let timers = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.ticker = self.eventLoop.scheduleRepeatedTask(initialDelay: CoarseTimers.tick, delay: CoarseTimers.tick) {
            _ in
            timers.value.fire()
        }
    }

    /// Fires every timer due up to now; stops ticking once no bucket is left.
    private func fire() {
        let now = CoarseTimers.tickNumber(self.clock())
        while self.lastTick < now {
            self.lastTick += 1
            guard let due = self.buckets.removeValue(forKey: self.lastTick) else { continue }
            for id in due {
                if let action = self.actions.removeValue(forKey: id) { action() }
            }
        }
        if self.buckets.isEmpty {
            self.ticker?.cancel()
            self.ticker = nil
        }
    }
}

@available(*, unavailable)
extension CoarseTimers: Sendable {}
