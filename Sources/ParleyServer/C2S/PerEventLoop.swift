import NIOCore
import Synchronization

/// One `Value` per event loop, made on first use on that loop and kept for the server's life: the loop's
/// `OutputFlushQueue` and `ClosingConnections`. The table is locked only to find or add a loop's value; the
/// value itself is loop-bound.
final class PerEventLoop<Value>: Sendable {
    private let values = Mutex<[ObjectIdentifier: NIOLoopBound<Value>]>([:])

    /// The value of `eventLoop`; `make` runs on it, once. Call on `eventLoop`.
    func value(for eventLoop: any EventLoop, make: (any EventLoop) -> Value) -> NIOLoopBound<Value> {
        self.values.withLock { values in
            let key = ObjectIdentifier(eventLoop)
            if let value = values[key] { return value }
            let value = NIOLoopBound(make(eventLoop), eventLoop: eventLoop)
            values[key] = value
            return value
        }
    }
}
