import Foundation
import NIOCore
import ParleyCore
import ParleyXML
import Synchronization

/// A MUC service (XEP-0045) on one domain: finds or creates rooms, applies the creation rules and the
/// room-name policy, answers service-level disco, and hands everything else to the room.
///
/// Rooms live in memory only and are destroyed when the last occupant leaves; the name is reusable at once.
public final class MUCService: Sendable {
    public let configuration: MUCServiceConfiguration
    private let rooms = Mutex<[String: MUCRoom]>([:])
    private let group: any EventLoopGroup
    private let secret: [UInt8]
    /// The room-name policy: a refusal for names that identify a person, nil when the name is fine.
    private let namePolicy: @Sendable (String) -> StanzaError?
    /// Told how long each admitted join took, in nanoseconds, from its presence reaching the service (metrics).
    let joinObserver: (@Sendable (Int64) -> Void)?
    /// Who watches the rooms (the control API), if anyone may.
    let observer: (any MUCObserver)?
    /// Makes a new room's meeting id (`muc#roominfo_meetingId`) from the room's JID: a random UUID, or a repeatable
    /// one under `parley serve --seed`.
    private let makeMeetingID: @Sendable (JID) -> String

    public init(
        configuration: MUCServiceConfiguration,
        group: any EventLoopGroup,
        namePolicy: @escaping @Sendable (String) -> StanzaError? = { _ in nil },
        joinObserver: (@Sendable (Int64) -> Void)? = nil,
        observer: (any MUCObserver)? = nil,
        secret: [UInt8]? = nil,
        makeMeetingID: (@Sendable (JID) -> String)? = nil
    ) {
        self.configuration = configuration
        self.group = group
        self.secret = secret ?? SecureRandom.bytes(32)
        self.namePolicy = namePolicy
        self.joinObserver = joinObserver
        self.observer = observer
        self.makeMeetingID = makeMeetingID ?? { _ in UUID().uuidString.lowercased() }
    }

    /// The observer, while it is watching.
    var watchingObserver: (any MUCObserver)? {
        guard let observer = self.observer, observer.isObserving else { return nil }
        return observer
    }

    public var domain: String { self.configuration.domain }
    public var roomCount: Int { self.rooms.withLock { $0.count } }
    /// Occupants of all rooms, as of each room's last change.
    public var occupantCount: Int { self.rooms.withLock { $0.values.reduce(0) { $0 + $1.occupantCount } } }
    /// Every live room, for administration (`/room-census`).
    public var allRooms: [MUCRoom] { self.rooms.withLock { Array($0.values) } }

    public func room(_ localpart: String) -> MUCRoom? { self.rooms.withLock { $0[localpart] } }

    /// Handles a stanza addressed to this service's domain, a room, or an occupant. `sender` is the session it came
    /// from, when the server knows it: rooms keep their occupants' sessions (`MUCRecipient`).
    public func handle(
        _ stanza: Stanza,
        sender: (any MUCRecipient)? = nil,
        sink: any MUCDeliverySink,
        arrival: NIODeadline? = nil
    ) {
        guard let to = stanza.to, stanza.from != nil else { return }
        // An available presence to an occupant JID may be a join: note when it arrived, to time it.
        let arrival =
            arrival
            ?? (self.joinObserver != nil && stanza.kind == .presence && stanza.type == nil && to.resourcepart != nil
                ? NIODeadline.now() : nil)
        guard let name = to.localpart else {
            self.serviceIQ(stanza, sink: sink)
            return
        }
        // Jitsi's mod_token_verification, before the room is created or entered: the token's room claim.
        if stanza.kind == .presence, stanza.type == nil, to.resourcepart != nil, let from = stanza.from,
            case .refuse(let error) = TokenRoomClaimPolicy.verdict(
                room: name,
                service: self.domain,
                claim: TokenRoomClaimPolicy.Claim(room: sender?.tokenRoom, subject: sender?.tokenSubject),
                isAdmin: self.configuration.isAdmin(from)
            )
        {
            sink.deliver(RoomState.presenceError(stanza, error))
            return
        }
        if let room = self.rooms.withLock({ $0[name] }) {
            room.receive(stanza, sender: sender, sink: sink, arrival: arrival)
            return
        }
        // No such room. Only an available presence to an occupant JID may create one.
        guard stanza.kind == .presence, stanza.type == nil, let from = stanza.from else {
            if !stanza.isError, stanza.kind != .presence {
                sink.deliver(stanza.errorReply(StanzaError(.itemNotFound, text: "No such room")))
            }
            return
        }
        guard to.resourcepart != nil else {
            sink.deliver(
                RoomState.presenceError(stanza, StanzaError(.jidMalformed, text: "Join with a nick: room@service/nick"))
            )
            return
        }
        if case .refuse(let error) = DomainAccessPolicy.verdict(for: from, service: self.configuration) {
            sink.deliver(RoomState.presenceError(stanza, error))
            return
        }
        let isAdmin = self.configuration.isAdmin(from)
        if self.configuration.restrictRoomCreation && !isAdmin {
            sink.deliver(
                RoomState.presenceError(
                    stanza,
                    StanzaError(.notAllowed, type: .cancel, text: "Room creation is restricted")
                )
            )
            return
        }
        let refusal = self.namePolicy(name)
        if let refusal, !isAdmin {
            sink.deliver(RoomState.presenceError(stanza, refusal))
            return
        }
        let meetingID = self.makeMeetingID(to.bare)
        let (room, created) = self.rooms.withLock { rooms -> (MUCRoom, Bool) in
            if let existing = rooms[name] { return (existing, false) }
            let state = RoomState(
                jid: to.bare,
                service: self.configuration,
                meetingID: meetingID,
                createdMillis: Int64(Date().timeIntervalSince1970 * 1000),
                iqSecret: self.secret,
                nameRefusal: refusal
            )
            let room = MUCRoom(state: state, eventLoop: self.group.next(), service: self)
            rooms[name] = room
            return (room, true)
        }
        if created { self.watchingObserver?.roomChanged(.created(room: room.jid)) }
        room.receive(stanza, sender: sender, sink: sink, arrival: arrival)
    }

    /// Called on the room's loop once it is empty: forget it, if it is still the registered one.
    func roomDestroyed(_ room: MUCRoom) {
        guard let name = room.jid.localpart else { return }
        let removed = self.rooms.withLock { rooms -> Bool in
            let removed = rooms[name] === room
            if removed { rooms[name] = nil }
            // A dictionary keeps its capacity: give a storm's worth back once the service is empty.
            if rooms.isEmpty { rooms = [:] }
            return removed
        }
        if removed { self.watchingObserver?.roomChanged(.destroyed(room: room.jid)) }
    }

    /// Destroys every room (XEP-0045 §10.9: each occupant gets unavailable with `<destroy>` and `reason`), each on
    /// its own loop; the future completes once all are gone. The control API's reset.
    public func destroyAllRooms(reason: String, sink: any MUCDeliverySink) -> EventLoopFuture<Void> {
        let rooms = self.allRooms
        let loop = self.group.next()
        guard !rooms.isEmpty else { return loop.makeSucceededVoidFuture() }
        let done = rooms.map { room -> EventLoopFuture<Void> in
            let promise = loop.makePromise(of: Void.self)
            room.perform(
                { state in .success(state.destroy(reason: reason, alternate: nil)) },
                sink: sink,
                refused: { _ in promise.succeed() },
                performed: { promise.succeed() }
            )
            return promise.futureResult
        }
        return EventLoopFuture.andAllComplete(done, on: loop)
    }

    /// A MUC service's disco#info (XEP-0045 §6.1): the `conference/text` identity named `name`, and the disco and
    /// MUC features. The breakout rooms' domain answers the same way.
    public static func appendServiceInfo(to query: inout XMLElement, name: String) {
        query.append(
            XMLElement(
                "identity",
                ns: Namespace.discoInfo,
                [("category", "conference"), ("type", "text"), ("name", name)]
            )
        )
        for feature in [Namespace.discoInfo, Namespace.discoItems, Namespace.muc] {
            query.append(XMLElement("feature", ns: Namespace.discoInfo, [("var", feature)]))
        }
    }

    /// Service-level IQs: disco#info lists the MUC feature (Smack checks it before joining);
    /// disco#items lists no rooms (Jitsi's `muc_hide_all`).
    private func serviceIQ(_ stanza: Stanza, sink: any MUCDeliverySink) {
        guard stanza.isIQRequest, let payload = stanza.payload else { return }
        switch (stanza.type, payload.namespace, payload.name) {
        case ("get", Namespace.discoInfo, "query"):
            var query = XMLElement(name: "query", namespace: Namespace.discoInfo)
            Self.appendServiceInfo(to: &query, name: "Chatrooms")
            sink.deliver(stanza.resultReply(query))
        case ("get", Namespace.discoItems, "query"):
            sink.deliver(stanza.resultReply(XMLElement(name: "query", namespace: Namespace.discoItems)))
        case ("get", Namespace.ping, "ping"):
            sink.deliver(stanza.resultReply())
        default:
            sink.deliver(stanza.errorReply(StanzaError(.serviceUnavailable)))
        }
    }
}
