import Foundation
import ParleyCore

/// Which events a subscriber of `GET /control/events` gets, from the query string:
///
/// - `kinds`: a comma-separated list of `ControlEvent.Kind`s; without it, every kind but `stanza` (routed stanzas
///   are many: ask for them by name);
/// - `room`: only events of this room (a bare JID);
/// - `jid`: only events about this address (a full JID, bare JID or domain, as in `StanzaMatch`): the session or
///   occupant, or a routed stanza's `from` or `to`;
/// - `stanza_kind`, `stanza_type`, `namespace`, `from`, `to`: only routed stanzas that match (`StanzaMatch`).
///
/// `GET /control/events?kinds=joined,left&room=abc@muc.meet.jitsi`
public struct ControlEventFilter: Sendable, Hashable {
    public var kinds: Set<ControlEvent.Kind>
    public var room: JID?
    public var jid: JID?
    public var stanzas: StanzaMatch

    /// The kinds sent when the query names none.
    public static let defaultKinds = Set(ControlEvent.Kind.allCases).subtracting([.stanza])

    public init(
        kinds: Set<ControlEvent.Kind> = ControlEventFilter.defaultKinds,
        room: JID? = nil,
        jid: JID? = nil,
        stanzas: StanzaMatch = StanzaMatch()
    ) {
        self.kinds = kinds
        self.room = room
        self.jid = jid
        self.stanzas = stanzas
    }

    /// The query keys a filter reads.
    public static let keys: Set<String> = [
        "kinds", "room", "jid", "stanza_kind", "stanza_type", "namespace", "from", "to",
    ]

    /// A filter from query parameters; unknown keys, kinds and addresses are refused with a message naming them.
    public init(query: [String: String]) throws(ControlRequestError) {
        if let unknown = query.keys.filter({ !Self.keys.contains($0) }).sorted().first {
            throw ControlRequestError(
                "unknown filter '\(unknown)' (allowed: \(Self.keys.sorted().joined(separator: ", ")))"
            )
        }
        self.init()
        if let list = query["kinds"] {
            var kinds: Set<ControlEvent.Kind> = []
            for name in list.split(separator: ",") {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard let kind = ControlEvent.Kind(rawValue: trimmed) else {
                    let known = ControlEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ControlRequestError("unknown event kind '\(trimmed)' (known: \(known))")
                }
                kinds.insert(kind)
            }
            if !kinds.isEmpty { self.kinds = kinds }
        }
        do {
            self.room = try query["room"].map { try JID($0).bare }
        } catch {
            throw ControlRequestError("room is not a room JID: '\(query["room"] ?? "")'")
        }
        do {
            self.jid = try query["jid"].map { try JID($0) }
        } catch {
            throw ControlRequestError("jid is not a JID or domain: '\(query["jid"] ?? "")'")
        }
        var fields: [String: String] = [:]
        if let value = query["stanza_kind"] { fields["kind"] = value }
        if let value = query["stanza_type"] { fields["type"] = value }
        for key in ["namespace", "from", "to"] { if let value = query[key] { fields[key] = value } }
        self.stanzas = try StanzaMatch(fields: fields)
    }

    /// Whether routed stanzas are wanted at all (the router only reports them while some subscriber does).
    public var wantsStanzas: Bool { self.kinds.contains(.stanza) }

    /// Whether `event` passes.
    public func matches(_ event: ControlEvent) -> Bool {
        guard self.kinds.contains(event.kind) else { return false }
        if let room = self.room {
            let rooms = event.room.map { [$0] } ?? [event.stanza?.to, event.stanza?.from].compactMap { $0?.bare }
            guard rooms.contains(room) else { return false }
        }
        if let pattern = self.jid {
            let addresses = [event.jid, event.stanza?.from, event.stanza?.to] + event.sessions.map { Optional($0) }
            guard addresses.contains(where: { StanzaMatch.address($0, matches: pattern) }) else { return false }
        }
        if let stanza = event.stanza, !self.stanzas.matches(stanza) { return false }
        return true
    }
}
