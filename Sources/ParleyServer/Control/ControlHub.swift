import NIOCore
import ParleyCore
import Synchronization

/// The one owner of the control API's mutable state: the fault rules and the event subscribers. It lives on one
/// event loop (`loop`); callers from any thread hop there. After each change it gives every event loop of the server
/// its own immutable copy (`ControlTapView`), so the stanza path never takes a lock for it.
final class ControlHub: Sendable {
    private struct State: Sendable {
        var faults: [StanzaFault] = []
        var subscribers: [ControlSubscriber] = []
        var nextID = 1
        /// Counts publications: only the latest one sets the tap's flags.
        var generation = 0
    }

    let tap: ControlTap
    let loop: any EventLoop
    private let loops: [any EventLoop]
    private let state: NIOLoopBoundBox<State>
    /// The server is shutting down: its loops are going away, so nothing more is handed to them.
    private let stopped = Atomic<Bool>(false)

    init(tap: ControlTap, group: any EventLoopGroup) {
        self.tap = tap
        self.loop = group.next()
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() { loops.append(loop) }
        self.loops = loops
        self.state = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: self.loop)
    }

    // MARK: - Faults

    /// Adds a rule from a request body; it is in force on every loop when the future succeeds.
    func addFault(_ body: JSONValue) -> EventLoopFuture<StanzaFault> {
        self.loop.flatSubmit {
            let fault: StanzaFault
            do {
                fault = try StanzaFault(json: body, id: self.state.value.nextID, now: .now())
            } catch {
                return self.loop.makeFailedFuture(error)
            }
            self.state.value.nextID += 1
            self.state.value.faults.append(fault)
            // Gone from the copies once it expires (it stops matching at once either way).
            self.loop.scheduleTask(deadline: fault.expires) { self.expire() }
            return self.publish().map { fault }
        }
    }

    /// Removes one rule (nil: all of them). Succeeds with whether any was removed.
    func removeFaults(id: Int?) -> EventLoopFuture<Bool> {
        self.loop.flatSubmit {
            let before = self.state.value.faults.count
            self.state.value.faults.removeAll { id == nil || $0.id == id }
            let removed = self.state.value.faults.count != before
            return self.publish().map { removed }
        }
    }

    /// The rules in force.
    func faults() -> EventLoopFuture<[StanzaFault]> {
        self.loop.submit {
            let now = NIODeadline.now()
            return self.state.value.faults.filter { $0.expires > now }
        }
    }

    private func expire() {
        let now = NIODeadline.now()
        let before = self.state.value.faults.count
        self.state.value.faults.removeAll { $0.expires <= now }
        if self.state.value.faults.count != before { _ = self.publish() }
    }

    // MARK: - Subscribers

    /// Adds a subscriber; it gets every event made after the future succeeds. It is removed when its connection
    /// closes.
    func subscribe(_ filter: ControlEventFilter, channel: any Channel) -> EventLoopFuture<ControlSubscriber> {
        self.loop.flatSubmit {
            let subscriber = ControlSubscriber(id: self.state.value.nextID, filter: filter, channel: channel)
            self.state.value.nextID += 1
            self.state.value.subscribers.append(subscriber)
            channel.closeFuture.whenComplete { _ in self.unsubscribe(subscriber.id) }
            return self.publish().map { subscriber }
        }
    }

    private func unsubscribe(_ id: Int) {
        guard !self.stopped.load(ordering: .relaxed) else { return }
        self.loop.execute {
            self.state.value.subscribers.removeAll { $0.id == id }
            _ = self.publish()
        }
    }

    /// The server is shutting down: no more copies are handed out (the loops are about to stop), and the tap stops
    /// looking (its flags go off).
    func stop() {
        self.stopped.store(true, ordering: .relaxed)
        self.tap.setFlags(armed: false, watching: false)
    }

    // MARK: - Publishing

    /// Gives every loop the current copy; succeeds once all have it. On `loop`.
    private func publish() -> EventLoopFuture<Void> {
        guard !self.stopped.load(ordering: .relaxed) else { return self.loop.makeSucceededVoidFuture() }
        self.state.value.generation += 1
        let generation = self.state.value.generation
        let view = ControlTapView(faults: self.state.value.faults, subscribers: self.state.value.subscribers)
        let armed = !view.faults.isEmpty || view.wantsStanzas
        let watching = !view.subscribers.isEmpty
        let tap = self.tap
        // Turning off: the flags first, so no loop looks for what is going away. Turning on: the copies first.
        tap.setFlags(armed: armed && tap.isArmed, watching: watching && tap.isWatching)
        let installed = self.loops.map { loop in loop.submit { tap.install(view) } }
        return EventLoopFuture.andAllSucceed(installed, on: self.loop).map {
            if self.state.value.generation == generation { tap.setFlags(armed: armed, watching: watching) }
        }
    }
}
