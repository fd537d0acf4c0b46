/// The one-line live status printed on a terminal while a run goes on:
///
/// ```
/// [  3.0s] join  2,400/5,000  812/s  p50 0.42 ms  p99 3.10 ms  errors 0  open 2,403
/// ```
public enum ProgressLine {
    public static func render(phase: String, snapshot: WorkerSnapshot, start: UInt64, now: UInt64, total: Int) -> String
    {
        let elapsed = LoadClock.seconds(from: start, to: now)
        let isUpdates = phase == "fanout"
        let done = isUpdates ? snapshot.updatesEchoed : snapshot.completed
        let latency = (isUpdates ? snapshot.update : snapshot.operation).summary
        var line = "[" + NumberFormat.padded(NumberFormat.fixed(elapsed, 1), 6, right: true) + "s] " + phase + "  "
        line += NumberFormat.grouped(done)
        if !isUpdates { line += "/" + NumberFormat.grouped(total) }
        line += "  " + NumberFormat.rate(elapsed > 0 ? Double(done) / elapsed : 0) + "/s"
        line +=
            "  p50 " + NumberFormat.milliseconds(latency.p50) + " ms  p99 " + NumberFormat.milliseconds(latency.p99)
            + " ms"
        line += "  errors " + NumberFormat.grouped(snapshot.errors.total)
        line += "  open " + NumberFormat.grouped(snapshot.openConnections)
        return line
    }
}
