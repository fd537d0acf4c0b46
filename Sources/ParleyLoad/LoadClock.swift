import NIOCore

/// The generator's one clock: monotonic uptime in nanoseconds (NIO's, `CLOCK_MONOTONIC`).
enum LoadClock {
    @inline(__always)
    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    static func seconds(from start: UInt64, to end: UInt64) -> Double {
        end > start ? Double(end - start) / 1e9 : 0
    }
}
