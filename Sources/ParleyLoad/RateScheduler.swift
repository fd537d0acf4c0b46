/// When clients start: the driver of a run.
///
/// - Open loop (`.rate`): clients start at an offered rate, whatever the server does, so a slow server shows as
///   growing latency rather than as a slower generator. With a ramp the rate grows linearly from 0 to the target
///   over `ramp` seconds: `N(t) = R·t²/(2·ramp)` starts by time t during the ramp, then `R` per second.
/// - Closed loop (`.concurrency`): at most C clients are between "connect" and "joined" at a time; each one that
///   finishes lets the next start. With a ramp the limit grows linearly from 1 to C over `ramp` seconds.
///
/// Pure arithmetic on elapsed seconds, so it is tested without clocks.
public struct RateScheduler: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// Starts per second (open loop).
        case rate(Double)
        /// Clients in flight (closed loop).
        case concurrency(Int)
    }

    public let mode: Mode
    /// Seconds over which the rate or the concurrency ramps up; 0 for none.
    public let ramp: Double
    /// The most clients this scheduler ever starts.
    public let total: Int

    public init(mode: Mode, ramp: Double, total: Int) {
        self.mode = mode
        self.ramp = max(0, ramp)
        self.total = max(0, total)
    }

    /// Open loop: how many starts are due `elapsed` seconds after the beginning (start 0 is due at once).
    /// Closed loop: `total` (the in-flight limit decides instead).
    public func startsDue(at elapsed: Double) -> Int {
        guard case .rate(let rate) = self.mode else { return self.total }
        guard elapsed >= 0, rate > 0 else { return elapsed >= 0 ? min(1, self.total) : 0 }
        let started: Double
        if self.ramp > 0 && elapsed < self.ramp {
            started = rate * elapsed * elapsed / (2 * self.ramp)
        } else {
            started = rate * self.ramp / 2 + rate * (elapsed - self.ramp)
        }
        // +1: start number k is due when N(t) reaches k, and start 0 at t = 0.
        let due = started.rounded(.down) + 1
        return due >= Double(self.total) ? self.total : Int(due)
    }

    /// Open loop: the second at which start number `index` (from 0) is due. Closed loop: 0.
    public func dueTime(ofStart index: Int) -> Double {
        guard case .rate(let rate) = self.mode, rate > 0 else { return 0 }
        let k = Double(index)
        let duringRamp = rate * self.ramp / 2
        if self.ramp > 0 && k < duringRamp {
            return (2 * self.ramp * k / rate).squareRoot()
        }
        return self.ramp + (k - duringRamp) / rate
    }

    /// Closed loop: how many clients may be in flight `elapsed` seconds after the beginning. Open loop: unbounded.
    public func allowedInFlight(at elapsed: Double) -> Int {
        guard case .concurrency(let limit) = self.mode else { return Int.max }
        guard limit > 1, self.ramp > 0, elapsed < self.ramp else { return max(1, limit) }
        let allowed = 1 + Double(limit - 1) * max(0, elapsed) / self.ramp
        return min(limit, max(1, Int(allowed.rounded(.down))))
    }

    /// This scheduler's share when a run is split over `workers` event loops: the rate divided evenly, the
    /// concurrency and the clients spread so that the shares add up to the whole.
    public func share(worker: Int, of workers: Int) -> RateScheduler {
        precondition(workers > 0 && worker >= 0 && worker < workers)
        let mode: Mode
        switch self.mode {
        case .rate(let rate): mode = .rate(rate / Double(workers))
        case .concurrency(let limit): mode = .concurrency(max(1, Self.split(limit, worker: worker, of: workers)))
        }
        return RateScheduler(mode: mode, ramp: self.ramp, total: Self.split(self.total, worker: worker, of: workers))
    }

    /// `count` items dealt round-robin to `workers`: how many `worker` gets.
    public static func split(_ count: Int, worker: Int, of workers: Int) -> Int {
        count / workers + (worker < count % workers ? 1 : 0)
    }
}
