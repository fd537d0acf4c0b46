/// The thread a worker and its clients live on: a NIO event loop (STARTTLS, WebSocket, BOSH) or the generator's
/// own `RawEventLoop` (plain TCP, where NIO's per-connection cost would dominate the generator's CPU).
protocol LoadEventLoop: AnyObject, Sendable {
    /// Runs `task` on the loop; callable from any thread.
    func execute(_ task: @escaping @Sendable () -> Void)
    /// Runs `task` on the loop and waits for its result; call from another thread only.
    func submitAndWait<T: Sendable>(_ task: @escaping @Sendable () -> T) throws -> T
    /// On the loop: runs `task` once, `delay` nanoseconds from now.
    func schedule(afterNanoseconds delay: UInt64, _ task: @escaping () -> Void)
}
