import Testing

@testable import ParleyLoad

@Suite struct LatencyRecorderTests {
    @Test func percentilesInMilliseconds() {
        var recorder = LatencyRecorder()
        // 1…1000 µs, one each.
        for micros in 1...1000 { recorder.record(nanoseconds: Int64(micros) * 1000) }
        let summary = recorder.summary
        #expect(summary.count == 1000)
        #expect(abs(summary.p50 - 0.5) < 0.001)
        #expect(abs(summary.p90 - 0.9) < 0.001)
        #expect(abs(summary.p99 - 0.99) < 0.001)
        #expect(abs(summary.p999 - 0.999) < 0.001)
        #expect(abs(summary.max - 1.0) < 0.001)
        #expect(abs(summary.mean - 0.5005) < 0.001)
    }

    @Test func mergeAndClamp() {
        var a = LatencyRecorder()
        var b = LatencyRecorder()
        a.record(nanoseconds: 10)  // below 1 µs: recorded as 1 µs
        b.record(nanoseconds: 500 * 1_000_000_000)  // above two minutes: clamped
        a.merge(b)
        #expect(a.count == 2)
        #expect(a.summary.max >= 119_000 && a.summary.max <= 121_000)
        #expect(LatencyRecorder().summary == LatencySummary(count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0))
    }
}
