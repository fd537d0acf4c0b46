/// When to give freed heap back to the OS, from the number of bound sessions sampled twice a second.
/// Trimming costs a walk of the heap, so it happens after a real drop, not on every departure.
struct MemoryTrimPolicy {
    /// The most sessions seen since the last trim.
    private(set) var peak = 0
    /// Trims still due while empty: connections, rooms and buffers of the last sessions are freed after the
    /// registry forgets them, so an emptied server trims on the first two empty samples.
    private var emptyTrimsLeft = 0

    /// True when sessions fell to three quarters of the peak or less, or on the first two samples at zero.
    mutating func shouldTrim(sessions count: Int) -> Bool {
        self.peak = max(self.peak, count)
        if count == 0 {
            guard self.emptyTrimsLeft > 0 else { return false }
            self.emptyTrimsLeft -= 1
            self.peak = 0
            return true
        }
        self.emptyTrimsLeft = 2
        guard count * 4 <= self.peak * 3 else { return false }
        self.peak = count
        return true
    }
}
