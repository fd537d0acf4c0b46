import Foundation
import NIOCore
import ParleyCore

/// One XEP-0045 room, owned by one event loop: an actor whose executor is that loop. Stanzas enter
/// through `receive`, which keeps each sender's stanzas in order (RFC 6120 §10.1) without creating a
/// Task; the logic is the pure `RoomState`.
public actor MUCRoom {
    public nonisolated let jid: JID
    nonisolated let eventLoop: any EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { self.eventLoop.executor.asUnownedSerialExecutor() }
    private var state: RoomState
    private unowned let service: MUCService

    init(state: RoomState, eventLoop: any EventLoop, service: MUCService) {
        self.jid = state.jid
        self.state = state
        self.eventLoop = eventLoop
        self.service = service
    }

    /// Hands a stanza to the room; returns at once. Deliveries go to `sink` in the XEP's order.
    nonisolated func receive(_ stanza: Stanza, sink: any MUCDeliverySink) {
        if self.eventLoop.inEventLoop {
            self.assumeIsolated { $0.handle(stanza, sink: sink) }
        } else {
            self.eventLoop.execute { self.assumeIsolated { $0.handle(stanza, sink: sink) } }
        }
    }

    private func handle(_ stanza: Stanza, sink: any MUCDeliverySink) {
        guard !self.state.destroyed else {
            // The room emptied while this stanza was on its way: let the service decide afresh.
            self.service.handle(stanza, sink: sink)
            return
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        sink.deliver(self.state.handle(stanza, nowMillis: now))
        if self.state.destroyed {
            self.service.roomDestroyed(self)
        }
    }

    /// A copy of the state, for tests and administration.
    public func snapshot() -> RoomState { self.state }
}

