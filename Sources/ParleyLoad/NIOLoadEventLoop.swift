import NIOCore

/// A NIO event loop as a `LoadEventLoop`.
final class NIOLoadEventLoop: LoadEventLoop {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func execute(_ task: @escaping @Sendable () -> Void) {
        self.eventLoop.execute(task)
    }

    func submitAndWait<T: Sendable>(_ task: @escaping @Sendable () -> T) throws -> T {
        try self.eventLoop.submit(task).wait()
    }

    func schedule(afterNanoseconds delay: UInt64, _ task: @escaping () -> Void) {
        self.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(clamping: delay))) { task() }
    }
}
