import NIOCore

/// The sessions of one event loop that were handed output by someone else (a room's broadcast, a
/// message): they are flushed together once the current loop turn is done, with one scheduled task for
/// all of them rather than one per session. Loop-bound: used only on `eventLoop`.
final class OutputFlushQueue {
    let eventLoop: any EventLoop
    private var sessions: [C2SSession] = []

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Flushes `session` after the current turn. The caller makes sure a session is queued once per turn.
    func enqueue(_ session: C2SSession) {
        self.eventLoop.preconditionInEventLoop()
        self.sessions.append(session)
        guard self.sessions.count == 1 else { return }
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.eventLoop.execute { loopBound.value.run() }
    }

    private func run() {
        let batch = self.sessions
        self.sessions = []
        for session in batch { session.flushQueuedOutput() }
    }
}

@available(*, unavailable)
extension OutputFlushQueue: Sendable {}

extension C2SContext {
    /// The flush queue of `eventLoop`, made on first use.
    func flushQueue(for eventLoop: any EventLoop) -> NIOLoopBound<OutputFlushQueue> {
        self.flushQueues.value(for: eventLoop) { OutputFlushQueue(eventLoop: $0) }
    }
}
