import Foundation
import NIOCore
import ParleyCore
import Synchronization

/// One XEP-0045 room, owned by one event loop: an actor whose executor is that loop. Stanzas enter
/// through `receive`, which keeps each sender's stanzas in order (RFC 6120 §10.1) without creating a
/// Task; the logic is the pure `RoomState`.
public actor MUCRoom {
    public nonisolated let jid: JID
    nonisolated let eventLoop: any EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { self.eventLoop.executor.asUnownedSerialExecutor() }
    private var state: RoomState
    private unowned let service: MUCService
    /// The sessions of the room's occupants, by real full JID, as the server gave them with their stanzas: what
    /// the room sends them goes straight there (`MUCRecipient`). Kept while the JID is an occupant's session.
    private var recipients: [JID: any MUCRecipient] = [:]
    /// The timers the room asked for (`RoomState.wantedTimers`) that are running.
    private var timers: [RoomTimer: Scheduled<Void>] = [:]
    /// The number of occupants, for the service's totals (`MUCService.occupantCount`) read from any thread at
    /// scrape time; stored only when it changes.
    private nonisolated let occupancy = Atomic<Int>(0)
    private var publishedOccupancy = 0
    /// Joins waiting in the room (Jitsi's focus lock) since they reached the service, to time them once admitted.
    private var pendingJoins: [JID: NIODeadline] = [:]
    /// Joins over the service's `joinRate`, waiting their turn (Jitsi's `mod_muc_rate_limit`), and the timer
    /// that lets the next ones in each second.
    private var joinQueue: JoinRateQueue<QueuedJoin>?
    private var joinDrain: Scheduled<Void>?

    /// A join waiting in `joinQueue`, as it reached the room.
    private struct QueuedJoin {
        let stanza: Stanza
        let sender: (any MUCRecipient)?
        let sink: any MUCDeliverySink
        let arrival: NIODeadline?
    }

    init(state: RoomState, eventLoop: any EventLoop, service: MUCService) {
        self.jid = state.jid
        self.state = state
        self.eventLoop = eventLoop
        self.service = service
    }

    /// Hands a stanza to the room; returns at once. Deliveries go to `sink` in the XEP's order. `sender` is the
    /// session it came from, when the server knows it.
    /// `arrival` is when an available presence reached the service, to time the join (nil: not timed).
    nonisolated func receive(
        _ stanza: Stanza,
        sender: (any MUCRecipient)? = nil,
        sink: any MUCDeliverySink,
        arrival: NIODeadline? = nil
    ) {
        if self.eventLoop.inEventLoop {
            self.assumeIsolated { $0.handle(stanza, sender: sender, sink: sink, arrival: arrival) }
        } else {
            self.eventLoop.execute {
                self.assumeIsolated { $0.handle(stanza, sender: sender, sink: sink, arrival: arrival) }
            }
        }
    }

    private func handle(
        _ stanza: Stanza,
        sender: (any MUCRecipient)?,
        sink: any MUCDeliverySink,
        arrival: NIODeadline?,
        rateChecked: Bool = false
    ) {
        guard !self.state.destroyed else {
            // The room emptied while this stanza was on its way: let the service decide afresh.
            self.service.handle(stanza, sender: sender, sink: sink, arrival: arrival)
            return
        }
        // Read the field, not `hasSession(_:)`: a method call here copies the whole state.
        var joining = false
        if arrival != nil, let from = stanza.from { joining = self.state.nickByRealJID[from] == nil }
        if !rateChecked, let rate = self.service.configuration.joinRate {
            if joining {
                var queue = self.joinQueue ?? JoinRateQueue(rate: rate)
                let item = QueuedJoin(stanza: stanza, sender: sender, sink: sink, arrival: arrival)
                let admitted = queue.admit(item, nowMillis: Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000))
                self.joinQueue = queue
                guard admitted != nil else { return self.scheduleJoinDrain() }
            } else if stanza.type == "unavailable", let from = stanza.from {
                self.joinQueue?.remove { $0.stanza.from == from }
            }
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let observer = self.service.watchingObserver
        let before = observer == nil ? nil : self.state.occupantFacts
        if let sender, sender.isTokenModerator, stanza.kind == .presence, stanza.type == nil, let from = stanza.from,
            !self.state.hasSession(from)
        {
            self.state.tokenModeratorJoining(from)
        }
        let out = self.state.handle(stanza, nowMillis: now)
        if let from = stanza.from {
            if self.hasSessionInMeeting(from) {
                if let sender, sender.isLive { self.recipients[from] = sender }
            } else {
                self.recipients[from] = nil
            }
        }
        sink.deliver(out, recipients: self.resolve(out))
        if let from = stanza.from, let arrival, joining {
            self.timeJoin(from, arrival: arrival, admitted: self.state.nickByRealJID[from] != nil, out: out)
        } else if let from = stanza.from, stanza.type == "unavailable" {
            self.pendingJoins[from] = nil
        }
        if let observer, let before { self.report(to: observer, before: before) }
        self.afterChange(sink: sink)
    }

    /// A stanza to one of this main room's breakout rooms (Jitsi's breakout MUC domain), handled on this room's
    /// loop by `RoomState.breakoutStanza`; returns at once. Sessions in the breakout rooms are kept like occupants'.
    public nonisolated func receiveBreakout(_ stanza: Stanza, sender: (any MUCRecipient)?, sink: any MUCDeliverySink) {
        self.eventLoop.execute {
            self.assumeIsolated { room in
                guard !room.state.destroyed else {
                    return sink.deliver(RoomState.invalidBreakoutRoom(stanza))
                }
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let out = room.state.breakoutStanza(
                    stanza,
                    nowMillis: now,
                    tokenModerator: sender?.isTokenModerator ?? false
                )
                if let from = stanza.from {
                    if room.state.hasSessionInMeeting(from) {
                        if let sender, sender.isLive { room.recipients[from] = sender }
                    } else {
                        room.recipients[from] = nil
                    }
                }
                sink.deliver(out, recipients: room.resolve(out))
                room.afterChange(sink: sink)
            }
        }
    }

    /// A join from `from`: admitted now (timed), refused (forgotten), or held (timed when admitted).
    private func timeJoin(_ from: JID, arrival: NIODeadline, admitted: Bool, out: [Stanza]) {
        if admitted {
            self.service.joinObserver?((NIODeadline.now() - arrival).nanoseconds)
        } else if !out.contains(where: { $0.to == from && $0.type == "error" }),
            self.pendingJoins.count < MUCRoom.maxTimedPendingJoins
        {
            self.pendingJoins[from] = self.pendingJoins[from] ?? arrival
        }
    }

    /// After the state changed: held joins now admitted are timed and the occupancy published; a destroyed room is
    /// forgotten and its timers stopped; otherwise the timers follow what the state wants.
    private func afterChange(sink: any MUCDeliverySink) {
        if !self.pendingJoins.isEmpty {
            let now = NIODeadline.now()
            for (jid, arrival) in self.pendingJoins where self.state.nickByRealJID[jid] != nil {
                self.pendingJoins[jid] = nil
                self.service.joinObserver?((now - arrival).nanoseconds)
            }
        }
        let count = self.state.occupants.count
        if count != self.publishedOccupancy {
            self.publishedOccupancy = count
            self.occupancy.store(count, ordering: .relaxed)
        }
        if self.state.destroyed {
            for timer in self.timers.values { timer.cancel() }
            self.timers = [:]
            self.recipients = [:]
            self.pendingJoins = [:]
            self.joinDrain?.cancel()
            self.joinDrain = nil
            let queued = self.joinQueue?.removeAll() ?? []
            self.service.roomDestroyed(self)
            // Joins still waiting are handled afresh by the service, as if they had just come (a new room).
            for join in queued where join.sender?.isLive ?? true {
                self.service.handle(join.stanza, sender: join.sender, sink: join.sink, arrival: join.arrival)
            }
            return
        }
        let wanted = RoomState.timers(wantedBy: self.state.breakoutRoomsState)
        for (timer, scheduled) in self.timers where !wanted.contains(timer) {
            scheduled.cancel()
            self.timers[timer] = nil
        }
        for timer in wanted where self.timers[timer] == nil {
            self.timers[timer] = self.eventLoop.scheduleTask(in: .milliseconds(timer.delayMillis)) {
                self.assumeIsolated { room in
                    room.timers[timer] = nil
                    guard !room.state.destroyed else { return }
                    let out = room.state.timerFired(timer, nowMillis: Int64(Date().timeIntervalSince1970 * 1000))
                    sink.deliver(out, recipients: room.resolve(out))
                    room.afterChange(sink: sink)
                }
            }
        }
    }

    /// Lets the next `joinRate` queued joins in a second from now, and again each second while any wait. A join
    /// whose session ended meanwhile is dropped, as Jitsi drops one whose connection closed.
    private func scheduleJoinDrain() {
        guard self.joinDrain == nil else { return }
        self.joinDrain = self.eventLoop.scheduleTask(in: .seconds(1)) {
            self.assumeIsolated { room in
                room.joinDrain = nil
                guard var queue = room.joinQueue else { return }
                let due = queue.due()
                room.joinQueue = queue
                for join in due where join.sender?.isLive ?? true {
                    room.handle(
                        join.stanza,
                        sender: join.sender,
                        sink: join.sink,
                        arrival: join.arrival,
                        rateChecked: true
                    )
                }
                if !(room.joinQueue?.waiting.isEmpty ?? true) { room.scheduleJoinDrain() }
            }
        }
    }

    /// The most held joins timed per room (the focus lock holds at most `maxQueuedJoins`, 500 by default).
    static let maxTimedPendingJoins = 1000

    /// The number of occupants, as of the room's last change; from any thread.
    public nonisolated var occupantCount: Int { self.occupancy.load(ordering: .relaxed) }

    /// Runs `body` on the room's state, on its loop, for administration (`/room-census`, `/ready`).
    public nonisolated func inspect<T: Sendable>(_ body: @escaping @Sendable (RoomState) -> T) -> EventLoopFuture<T> {
        self.eventLoop.submit { self.assumeIsolated { body($0.state) } }
    }

    /// Tells `observer` how the occupants changed since `before` (`MUCObserver`).
    private func report(to observer: any MUCObserver, before: [String: MUCOccupantFacts]) {
        for change in RoomState.changes(room: self.jid, from: before, to: self.state.occupantFacts) {
            observer.roomChanged(change)
        }
    }

    /// `RoomState.hasSessionInMeeting`, read field by field: a method called on the actor's stored state made a copy
    /// of all of it first (~1,600 instructions, several times a join).
    private func hasSessionInMeeting(_ session: JID) -> Bool {
        if self.state.nickByRealJID[session] != nil { return true }
        return !self.state.breakoutRoomsState.rooms.isEmpty && self.state.hasSessionInMeeting(session)
    }

    /// Each delivery's session, where the room holds it. Sessions that ended, and occupants that are gone (kicked,
    /// banned: their last presence is in `out`), are forgotten here.
    private func resolve(_ out: [Stanza]) -> [(any MUCRecipient)?] {
        guard !self.recipients.isEmpty else { return [] }
        var resolved: [(any MUCRecipient)?] = []
        resolved.reserveCapacity(out.count)
        for stanza in out {
            guard let to = stanza.to, let recipient = self.recipients[to] else {
                resolved.append(nil)
                continue
            }
            if !recipient.isLive {
                self.recipients[to] = nil
                resolved.append(nil)
                continue
            }
            resolved.append(recipient)
            if stanza.kind == .presence, stanza.type == "unavailable", !self.hasSessionInMeeting(to) {
                self.recipients[to] = nil
            }
        }
        return resolved
    }

    /// A component's command on the room (Jitsi's end conference, audio/video moderation): `body` runs on the
    /// room's loop and either changes the room, whose deliveries go to `sink`, or refuses with the error `refused`
    /// gets. A room the command destroyed is forgotten by its service. Returns at once.
    public nonisolated func perform(
        _ body: @escaping @Sendable (inout RoomState) -> Result<[Stanza], StanzaError>,
        sink: any MUCDeliverySink,
        refused: @escaping @Sendable (StanzaError) -> Void,
        performed: (@Sendable () -> Void)? = nil
    ) {
        self.eventLoop.execute {
            self.assumeIsolated { room in
                guard !room.state.destroyed else {
                    return refused(StanzaError(.itemNotFound, text: "The meeting has ended"))
                }
                let observer = room.service.watchingObserver
                let before = observer == nil ? nil : room.state.occupantFacts
                switch body(&room.state) {
                case .failure(let error):
                    refused(error)
                case .success(let out):
                    sink.deliver(out, recipients: room.resolve(out))
                    if let observer, let before { room.report(to: observer, before: before) }
                    room.afterChange(sink: sink)
                    performed?()
                }
            }
        }
    }

    /// A copy of the state, for tests and administration.
    public func snapshot() -> RoomState { self.state }

}
