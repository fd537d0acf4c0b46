import NIOCore
import NIOEmbedded
import Testing

@testable import ParleyServer

/// The loop's coarse timers behind BOSH's `wait` and inactivity limit (XEP-0124 §7.1), on an embedded loop's clock.
@Suite struct CoarseTimersTests {
    private func make() -> (EmbeddedEventLoop, CoarseTimers) {
        let loop = EmbeddedEventLoop()
        return (loop, CoarseTimers(eventLoop: loop, clock: { loop.now }))
    }

    @Test("a timer fires once its delay has passed, not before, and at most a tick late")
    func firesOnTime() {
        let (loop, timers) = self.make()
        var fired: [String] = []
        _ = timers.schedule(in: .seconds(2)) { fired.append("two") }
        _ = timers.schedule(in: .milliseconds(600)) { fired.append("short") }
        loop.advanceTime(by: .milliseconds(500))
        #expect(fired.isEmpty)
        loop.advanceTime(by: .milliseconds(350))
        #expect(fired == ["short"])
        loop.advanceTime(by: .milliseconds(1_100))
        #expect(fired == ["short"])
        loop.advanceTime(by: CoarseTimers.tick)
        #expect(fired == ["short", "two"])
        loop.advanceTime(by: .seconds(10))
        #expect(fired == ["short", "two"])
        #expect(timers.count == 0)
        #expect(!timers.isTicking)
    }

    @Test("a cancelled timer never fires; the others do, and the ticking stops once none is left")
    func cancelled() {
        let (loop, timers) = self.make()
        var fired = Set<Int>()
        var tokens: [CoarseTimers.Token] = []
        for index in 0..<1_000 {
            tokens.append(timers.schedule(in: .seconds(Int64(1 + index % 60))) { fired.insert(index) })
        }
        for index in stride(from: 0, to: 1_000, by: 2) { timers.cancel(tokens[index]) }
        #expect(timers.count == 500)
        timers.cancel(tokens[0])  // twice: nothing
        loop.advanceTime(by: .seconds(61))
        #expect(fired == Set(stride(from: 1, to: 1_000, by: 2)))
        #expect(timers.count == 0)
        #expect(!timers.isTicking)
        timers.cancel(tokens[1])  // after it fired: nothing
    }

    @Test("a delay too long to add to the clock is set without a trap, and cancelled")
    func hugeDelay() {
        let (loop, timers) = self.make()
        var fired = false
        let token = timers.schedule(in: .nanoseconds(.max)) { fired = true }
        loop.advanceTime(by: .seconds(5))
        #expect(!fired)
        timers.cancel(token)
        #expect(timers.count == 0)
    }

    @Test("a timer set from a firing timer, and after the ticking stopped, fires in turn")
    func rescheduled() {
        let (loop, timers) = self.make()
        var fired = 0
        _ = timers.schedule(in: .seconds(1)) {
            fired += 1
            _ = timers.schedule(in: .seconds(1)) { fired += 1 }
        }
        loop.advanceTime(by: .milliseconds(1_300))
        #expect(fired == 1)
        loop.advanceTime(by: .seconds(2))
        #expect(fired == 2)
        #expect(!timers.isTicking)
        loop.advanceTime(by: .seconds(30))
        _ = timers.schedule(in: .zero) { fired += 1 }
        #expect(timers.isTicking)
        loop.advanceTime(by: .milliseconds(300))
        #expect(fired == 3)
    }
}
