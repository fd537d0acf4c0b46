import Testing

@testable import ParleyLoad

@Suite struct RateSchedulerTests {
    @Test func openLoopWithoutRamp() {
        let scheduler = RateScheduler(mode: .rate(1000), ramp: 0, total: 5000)
        #expect(scheduler.startsDue(at: 0) == 1)
        #expect(scheduler.startsDue(at: 0.0005) == 1)
        #expect(scheduler.startsDue(at: 0.001) == 2)
        #expect(scheduler.startsDue(at: 1) == 1001)
        #expect(scheduler.startsDue(at: 100) == 5000)
        #expect(scheduler.startsDue(at: -1) == 0)
        #expect(abs(scheduler.dueTime(ofStart: 1000) - 1.0) < 1e-9)
    }

    @Test func openLoopRampIsLinear() {
        // R = 100/s reached after 2 s: N(t) = 25 t² during the ramp, 100 by t = 2, then 100 per second.
        let scheduler = RateScheduler(mode: .rate(100), ramp: 2, total: 1000)
        #expect(scheduler.startsDue(at: 1) == 26)
        #expect(scheduler.startsDue(at: 2) == 101)
        #expect(scheduler.startsDue(at: 3) == 201)
        for index in [0, 1, 10, 99, 100, 150, 999] {
            let time = scheduler.dueTime(ofStart: index)
            #expect(scheduler.startsDue(at: time + 1e-9) >= index + 1)
            #expect(scheduler.startsDue(at: max(0, time - 1e-6)) <= index + 1)
        }
    }

    @Test func closedLoopRamp() {
        let scheduler = RateScheduler(mode: .concurrency(50), ramp: 5, total: 1000)
        #expect(scheduler.startsDue(at: 0) == 1000)
        #expect(scheduler.allowedInFlight(at: 0) == 1)
        #expect(scheduler.allowedInFlight(at: 2.5) == 25)
        #expect(scheduler.allowedInFlight(at: 5) == 50)
        #expect(scheduler.allowedInFlight(at: 60) == 50)
        #expect(RateScheduler(mode: .concurrency(8), ramp: 0, total: 10).allowedInFlight(at: 0) == 8)
        #expect(RateScheduler(mode: .rate(5), ramp: 0, total: 10).allowedInFlight(at: 0) == Int.max)
    }

    @Test func sharesAddUp() {
        let whole = RateScheduler(mode: .concurrency(10), ramp: 1, total: 1001)
        let shares = (0..<4).map { whole.share(worker: $0, of: 4) }
        #expect(shares.map(\.total).reduce(0, +) == 1001)
        #expect(
            shares.map { share -> Int in
                if case .concurrency(let limit) = share.mode { return limit }
                return 0
            }.reduce(0, +) == 10
        )
        let rate = RateScheduler(mode: .rate(1000), ramp: 0, total: 100).share(worker: 1, of: 4)
        #expect(rate.mode == .rate(250))
        #expect(rate.total == 25)
    }
}
