/// A value that belongs to one `LoadEventLoop`, handed to other threads only to be sent back to that loop.
///
/// The runner keeps its workers this way: it never touches a worker itself, it only passes the box into
/// `execute`/`submitAndWait` on the worker's own loop (compare NIO's `NIOLoopBound`, which checks the loop at run
/// time; this one cannot, because the raw loop is not a NIO `EventLoop`).
struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only dereferenced inside closures that run on `loop`.
    let value: Value
    let loop: any LoadEventLoop
}
