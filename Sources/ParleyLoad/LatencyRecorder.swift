import Histogram

/// Latencies of one kind (login, join, update…) in an HDR histogram: microsecond resolution, three significant
/// digits, values up to two minutes. Recording is a few arithmetic operations and no allocation.
public struct LatencyRecorder: Sendable {
    /// The largest value kept, in microseconds; longer latencies are recorded as this.
    public static let highestMicroseconds: UInt64 = 120_000_000

    public private(set) var histogram: Histogram<UInt64>

    public init() {
        self.histogram = Histogram(
            lowestDiscernibleValue: 1,
            highestTrackableValue: Self.highestMicroseconds,
            numberOfSignificantValueDigits: .three
        )
    }

    public var count: UInt64 { self.histogram.totalCount }

    public mutating func record(nanoseconds: Int64) {
        let micros = UInt64(clamping: max(1, nanoseconds / 1000))
        _ = self.histogram.record(min(micros, Self.highestMicroseconds))
    }

    public mutating func merge(_ other: LatencyRecorder) {
        self.histogram.add(other.histogram)
    }

    public mutating func reset() {
        self.histogram.reset()
    }

    public var summary: LatencySummary { LatencySummary(self.histogram) }
}
