import Testing

@testable import ParleyCore

@Suite struct TokenBucketTests {
    /// How many of `count` events at `millis` the bucket lets through.
    private func taken(_ bucket: inout TokenBucket, _ count: Int, at millis: Int64) -> Int {
        var taken = 0
        for _ in 0..<count where bucket.take(nowMillis: millis) { taken += 1 }
        return taken
    }

    /// `util.throttle.create(3, 2)`: three at once, then one every 2/3 s.
    @Test func eventsAsProsodysThrottle() {
        var bucket = TokenBucket(max: 3, per: 2)
        #expect(self.taken(&bucket, 4, at: 0) == 3)
        #expect(self.taken(&bucket, 1, at: 600) == 0)
        #expect(self.taken(&bucket, 2, at: 700) == 1)
        // Never more than the capacity, however long it rested.
        #expect(self.taken(&bucket, 5, at: 100_000) == 3)
    }

    @Test func bytesGoIntoDebtAndSayHowLongItLasts() {
        var bucket = TokenBucket(capacity: 1000, refillPerSecond: 1000)
        let first = bucket.spend(600, nowMillis: 0)
        let second = bucket.spend(900, nowMillis: 0)
        #expect(first == 0 && second == 500 && bucket.millisUntilSolvent == 500)
        let later = bucket.spend(0, nowMillis: 500)
        #expect(later == 0)
    }

    @Test func aClockGoingBackRefillsNothing() {
        var bucket = TokenBucket(capacity: 1, refillPerSecond: 1)
        #expect(self.taken(&bucket, 1, at: 5000) == 1)
        #expect(self.taken(&bucket, 1, at: 1000) == 0)
        #expect(self.taken(&bucket, 1, at: 5500) == 0)
        #expect(self.taken(&bucket, 1, at: 6000) == 1)
    }

    @Test func degenerateRatesStayFinite() {
        var bucket = TokenBucket(capacity: 0, refillPerSecond: 0)
        #expect(self.taken(&bucket, 1, at: 0) == 0)
        let wait = bucket.spend(1e12, nowMillis: 0)
        #expect(wait == 86_400_000)
    }
}
