import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ParleyCore
import ParleyMUC
import Synchronization

/// The control API's hooks in the running server: the router asks it about each stanza while a fault or a stanza
/// subscriber is set, rooms and sessions report what happens while anyone subscribes, and a refused XEP-0198
/// resumption is taken from it. Exists only when the control API is on (`XMPPServer.Configuration.control`).
///
/// One owner per state: the rules and subscribers belong to `ControlHub`, which hands every event loop its own
/// immutable copy (`ControlTapView`, in a thread-local slot written only on that loop). The stanza path reads its
/// loop's copy without a lock; with no rule and no subscriber it reads one atomic flag and nothing else.
public final class ControlTap: Sendable {
    /// A fault rule or a stanza subscriber is set: the router must ask `inspect`.
    private let armed = Atomic<Bool>(false)
    /// Someone subscribes to events.
    private let watching = Atomic<Bool>(false)
    /// XEP-0198 resumptions still to refuse.
    private let refusals = Atomic<Int>(0)
    private let sequence = Atomic<Int>(0)
    /// Each event loop's copy of the rules and subscribers.
    private let views = ThreadSpecificVariable<ControlTapView>()
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Whether the router must call `inspect` (one relaxed atomic load).
    var isArmed: Bool { self.armed.load(ordering: .relaxed) }

    /// Whether anyone subscribes to events.
    var isWatching: Bool { self.watching.load(ordering: .relaxed) }

    // MARK: - Installed by ControlHub

    /// Replaces the calling loop's copy. Only `ControlHub.publish`, on each loop.
    func install(_ view: ControlTapView) { self.views.currentValue = view }

    /// Sets the flags once every loop has its copy (or before removing, when a rule or subscriber goes away).
    func setFlags(armed: Bool, watching: Bool) {
        self.armed.store(armed, ordering: .relaxed)
        self.watching.store(watching, ordering: .relaxed)
    }

    func refuseResumptions(_ count: Int) { self.refusals.store(max(0, count), ordering: .relaxed) }

    var pendingRefusals: Int { self.refusals.load(ordering: .relaxed) }

    // MARK: - The stanza path

    /// Looks at a stanza the router is about to route. Returns true when a fault took it (dropped, delayed, or
    /// answered `service-unavailable`); the router then does nothing more with it.
    func inspect(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) -> Bool {
        guard let view = self.views.currentValue else { return false }
        var fault: StanzaFault?
        if !view.faults.isEmpty {
            let now = NIODeadline.now()
            fault = view.faults.first { $0.expires > now && $0.match.matches(stanza) }
        }
        if view.wantsStanzas { self.emit(.routed(stanza, fault: fault?.action.name), view: view) }
        guard let fault else { return false }
        switch fault.action {
        case .drop:
            return true
        case .delay(let milliseconds):
            guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return false }
            loop.scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                router.routeUntapped(stanza, from: session)
            }
            return true
        case .serviceUnavailable:
            router.bounce(
                stanza,
                StanzaError(.serviceUnavailable, text: "Unavailable for a while (a fault set through the control API)")
            )
            return true
        }
    }

    /// XEP-0198: whether to refuse this resumption (`POST /control/faults/refuse-resumption`); takes one.
    func takeResumptionRefusal() -> Bool {
        var current = self.refusals.load(ordering: .relaxed)
        while current > 0 {
            let (exchanged, original) = self.refusals.compareExchange(
                expected: current,
                desired: current - 1,
                ordering: .relaxed
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    // MARK: - Events

    /// Reports an event to the subscribers whose filter it passes (nothing while nobody subscribes).
    func report(_ event: @autoclosure () -> ControlEvent) {
        guard self.isWatching, let view = self.views.currentValue, !view.subscribers.isEmpty else { return }
        self.emit(event(), view: view)
    }

    private func emit(_ event: ControlEvent, view: ControlTapView) {
        var event = event
        event.sequence = self.sequence.wrappingAdd(1, ordering: .relaxed).newValue
        event.millis = Int64(Date().timeIntervalSince1970 * 1000)
        var text: String?
        for subscriber in view.subscribers where subscriber.filter.matches(event) {
            if text == nil { text = event.serverSentEvent }
            if let text { subscriber.send(text) }
        }
    }
}

extension ControlTap: MUCObserver {
    public var isObserving: Bool { self.isWatching }

    public func roomChanged(_ change: MUCRoomChange) { self.report(ControlEvent(change)) }
}

/// One loop's copy of the control API's rules and subscribers. Immutable: `ControlHub` replaces it whole.
final class ControlTapView: Sendable {
    let faults: [StanzaFault]
    let subscribers: [ControlSubscriber]
    let wantsStanzas: Bool

    init(faults: [StanzaFault], subscribers: [ControlSubscriber]) {
        self.faults = faults
        self.subscribers = subscribers
        self.wantsStanzas = subscribers.contains { $0.filter.wantsStanzas }
    }
}

/// One `GET /control/events` client: its filter and its connection, which gets each event as a chunk of the
/// `text/event-stream` response. A client that stops reading is dropped once its connection's buffer is full.
final class ControlSubscriber: Sendable {
    let id: Int
    let filter: ControlEventFilter
    let channel: any Channel

    init(id: Int, filter: ControlEventFilter, channel: any Channel) {
        self.id = id
        self.filter = filter
        self.channel = channel
    }

    /// Writes one event; thread-safe (NIO hops to the channel's loop, keeping each caller's order).
    func send(_ text: String) {
        guard self.channel.isWritable else {
            self.channel.close(promise: nil)
            return
        }
        let buffer = self.channel.allocator.buffer(string: text)
        self.channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
    }
}
