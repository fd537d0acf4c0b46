import ParleyCore
import ParleyMUC

/// One thing that happened in the server, as the control API's event stream (`GET /control/events`) tells it: the
/// streamed form of jitsi-meet's `mod_test_observer` (room created and destroyed, occupant joined and left), with
/// role and affiliation changes, sessions, XEP-0198 resumptions refused, and stanzas routed.
///
/// Sent as one Server-Sent Event (WHATWG HTML §9.2) whose `event` is the kind and whose `data` is one JSON object:
/// ```
/// id: 7
/// event: joined
/// data: {"affiliation":"owner","jid":"focus@auth.meet.jitsi","kind":"joined","nick":"focus","role":"moderator",…}
///
/// ```
public struct ControlEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case roomCreated = "room_created"
        case roomDestroyed = "room_destroyed"
        case joined
        case left
        case roleChanged = "role_changed"
        case affiliationChanged = "affiliation_changed"
        case sessionStarted = "session_started"
        case sessionEnded = "session_ended"
        case sessionDropped = "session_dropped"
        case resumptionRefused = "resumption_refused"
        case stanza
    }

    public var kind: Kind
    /// Numbers events in the order the server made them (1, 2, …), across all rooms and sessions.
    public var sequence: Int = 0
    /// Milliseconds since 1970.
    public var millis: Int64 = 0
    public var room: JID?
    /// The session's full JID, or the occupant's real bare JID.
    public var jid: JID?
    public var nick: String?
    /// An occupant's sessions (full JIDs).
    public var sessions: [JID] = []
    public var role: Role?
    public var previousRole: Role?
    public var affiliation: Affiliation?
    public var previousAffiliation: Affiliation?
    /// For `stanza`: its envelope (kind, type, id, from, to) and its children's namespaces.
    public var stanza: Stanza?
    /// For `stanza`: the fault that caught it (`drop`, `delay`, `service-unavailable`), if one did.
    public var fault: String?

    public init(kind: Kind, room: JID? = nil, jid: JID? = nil) {
        self.kind = kind
        self.room = room
        self.jid = jid
    }

    /// The event of a room's change.
    public init(_ change: MUCRoomChange) {
        switch change {
        case .created(let room): self.init(kind: .roomCreated, room: room)
        case .destroyed(let room): self.init(kind: .roomDestroyed, room: room)
        case .joined(let room, let occupant):
            self.init(kind: .joined, room: room, occupant: occupant)
        case .left(let room, let occupant):
            self.init(kind: .left, room: room, occupant: occupant)
        case .roleChanged(let room, let occupant, let from):
            self.init(kind: .roleChanged, room: room, occupant: occupant)
            self.previousRole = from
        case .affiliationChanged(let room, let occupant, let from):
            self.init(kind: .affiliationChanged, room: room, occupant: occupant)
            self.previousAffiliation = from
        }
    }

    private init(kind: Kind, room: JID, occupant: MUCOccupantFacts) {
        self.init(kind: kind, room: room, jid: occupant.realJID)
        self.nick = occupant.nick
        self.sessions = occupant.sessions
        self.role = occupant.role
        self.affiliation = occupant.affiliation
    }

    /// A stanza the router is handling, and the fault that caught it, if any.
    public static func routed(_ stanza: Stanza, fault: String?) -> ControlEvent {
        var event = ControlEvent(kind: .stanza)
        event.stanza = stanza
        event.fault = fault
        return event
    }

    // MARK: - Encoding

    /// The event as one JSON object; keys without a value are left out.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "kind": .string(self.kind.rawValue),
            "seq": .number(Double(self.sequence)),
            "time": .number(Double(self.millis)),
        ]
        if let room = self.room { object["room"] = .string(room.description) }
        if let jid = self.jid { object["jid"] = .string(jid.description) }
        if let nick = self.nick { object["nick"] = .string(nick) }
        if !self.sessions.isEmpty { object["sessions"] = .array(self.sessions.map { .string($0.description) }) }
        if let role = self.role { object["role"] = .string(role.rawValue) }
        if let role = self.previousRole { object["previous_role"] = .string(role.rawValue) }
        if let affiliation = self.affiliation { object["affiliation"] = .string(affiliation.rawValue) }
        if let affiliation = self.previousAffiliation {
            object["previous_affiliation"] = .string(affiliation.rawValue)
        }
        if let stanza = self.stanza {
            var envelope: [String: JSONValue] = ["kind": .string(stanza.kind.rawValue)]
            if let type = stanza.type { envelope["type"] = .string(type) }
            if let id = stanza.id { envelope["id"] = .string(id) }
            if let from = stanza.from { envelope["from"] = .string(from.description) }
            if let to = stanza.to { envelope["to"] = .string(to.description) }
            let namespaces = stanza.body.elements.map(\.namespace)
            if !namespaces.isEmpty { envelope["namespaces"] = .array(namespaces.map(JSONValue.string)) }
            object["stanza"] = .object(envelope)
        }
        if let fault = self.fault { object["fault"] = .string(fault) }
        return .object(object)
    }

    /// The event as one Server-Sent Event: `id`, `event` and one `data` line (JSON text has no raw line breaks),
    /// ended by a blank line.
    public var serverSentEvent: String {
        "id: \(self.sequence)\nevent: \(self.kind.rawValue)\ndata: \(JSONValue.text(self.json))\n\n"
    }
}
