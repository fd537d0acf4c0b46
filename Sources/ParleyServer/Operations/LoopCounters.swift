import NIOCore
import Synchronization

/// What one event loop counts for `/metrics` while it works: stanzas in and out, XEP-0198 stanzas queued, and
/// its live client connections. Loop-bound, like `OutputFlushQueue`: a session caches its loop's instance and
/// counts with plain adds (no lock, no atomic, no shared cache line), and a scrape reads each loop's counters
/// on that loop (`LoopCounterTable.snapshots`) and adds them up.
///
/// The counters skip Swift's run-time exclusivity checks (`@exclusivity(unchecked)`): only their loop touches them,
/// one add at a time, and the check would cost more than the add.
final class LoopCounters {
    @exclusivity(unchecked) var received = StanzaCounts()
    @exclusivity(unchecked) var sent = StanzaCounts()
    /// Stanzas added to XEP-0198 unacknowledged queues (Prosody's `tx_queued_stanzas`).
    @exclusivity(unchecked) var smacksQueued = 0
    private var connections: [ObjectIdentifier: Connection] = [:]

    private struct Connection {
        weak var session: C2SSession?
        let ipv6: Bool
    }

    /// A client connection (TCP or WebSocket) started; it is counted until `connectionClosed`.
    func connectionOpened(_ session: C2SSession, ipv6: Bool) {
        self.connections[ObjectIdentifier(session)] = Connection(session: session, ipv6: ipv6)
    }

    func connectionClosed(_ session: C2SSession) {
        self.connections[ObjectIdentifier(session)] = nil
    }

    func snapshot() -> LoopSnapshot {
        var connections: [ConnectionLabels: Int] = [:]
        for (key, connection) in self.connections {
            guard let session = connection.session else {
                self.connections[key] = nil
                continue
            }
            let labels = ConnectionLabels(
                host: session.streamHost ?? "",
                type: session.machine.isBound ? .c2s : .c2sUnauthed,
                ipv6: connection.ipv6
            )
            connections[labels, default: 0] += 1
        }
        return LoopSnapshot(
            received: self.received,
            sent: self.sent,
            smacksQueued: self.smacksQueued,
            connections: connections
        )
    }
}

@available(*, unavailable)
extension LoopCounters: Sendable {}

/// The labels of Prosody's `prosody_mod_c2s__connections` gauge.
struct ConnectionLabels: Hashable, Sendable {
    var host: String
    var type: StanzaCounts.SessionType
    var ipv6: Bool
}

/// One loop's counters at the moment of a scrape.
struct LoopSnapshot: Sendable {
    var received = StanzaCounts()
    var sent = StanzaCounts()
    var smacksQueued = 0
    var connections: [ConnectionLabels: Int] = [:]

    static func + (lhs: LoopSnapshot, rhs: LoopSnapshot) -> LoopSnapshot {
        LoopSnapshot(
            received: lhs.received + rhs.received,
            sent: lhs.sent + rhs.sent,
            smacksQueued: lhs.smacksQueued &+ rhs.smacksQueued,
            connections: lhs.connections.merging(rhs.connections, uniquingKeysWith: +)
        )
    }
}

/// Every loop's `LoopCounters`, made on first use on that loop. The table is locked only to find or add a loop's
/// counters (once per session) and to list them for a scrape.
final class LoopCounterTable: Sendable {
    private let table = Mutex<[ObjectIdentifier: NIOLoopBound<LoopCounters>]>([:])

    /// `eventLoop`'s counters. Call on `eventLoop`.
    func counters(for eventLoop: any EventLoop) -> LoopCounters {
        self.table.withLock { table in
            let key = ObjectIdentifier(eventLoop)
            if let bound = table[key] { return bound.value }
            let bound = NIOLoopBound(LoopCounters(), eventLoop: eventLoop)
            table[key] = bound
            return bound.value
        }
    }

    /// Every loop's counters, read on its own loop, added up; completes on `eventLoop`.
    func total(on eventLoop: any EventLoop) -> EventLoopFuture<LoopSnapshot> {
        let all = self.table.withLock { Array($0.values) }
        let reads = all.map { bound in bound.eventLoop.submit { bound.value.snapshot() } }
        return EventLoopFuture.whenAllSucceed(reads, on: eventLoop).map { $0.reduce(LoopSnapshot(), +) }
    }
}
