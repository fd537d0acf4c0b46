import Testing

@testable import ParleyMUC

/// Jitsi's `mod_muc_rate_limit` for joins, without a room.
@Suite struct JoinRateQueueTests {
    @Test func threeAtOnceThenThreeASecondInOrder() {
        var queue = JoinRateQueue<Int>(rate: 3)
        var entered: [Int] = []
        for n in 0..<10 {
            if let now = queue.admit(n, nowMillis: 0) { entered.append(now) }
        }
        #expect(entered == [0, 1, 2])
        #expect(queue.waiting == Array(3..<10))
        // A join arriving while others wait queues behind them, even once the throttle has refilled.
        #expect(queue.admit(10, nowMillis: 5000) == nil)
        #expect(queue.due() == [3, 4, 5])
        #expect(queue.due() == [6, 7, 8])
        #expect(queue.due() == [9, 10])
        #expect(queue.due().isEmpty)
    }

    @Test func aFullQueueLetsJoinsThroughRatherThanLoseThem() {
        var queue = JoinRateQueue<Int>(rate: 1, capacity: 2)
        #expect(queue.admit(0, nowMillis: 0) == 0)
        #expect(queue.admit(1, nowMillis: 0) == nil)
        #expect(queue.admit(2, nowMillis: 0) == nil)
        #expect(queue.admit(3, nowMillis: 0) == 3)
    }

    @Test func leaversAndTheRoomsEndEmptyIt() {
        var queue = JoinRateQueue<Int>(rate: 1)
        _ = queue.admit(0, nowMillis: 0)
        _ = queue.admit(1, nowMillis: 0)
        _ = queue.admit(2, nowMillis: 0)
        queue.remove { $0 == 1 }
        #expect(queue.waiting == [2])
        #expect(queue.removeAll() == [2])
        #expect(queue.waiting.isEmpty)
    }
}
