import ParleyCore

/// Who watches a MUC service's rooms from outside: the control API's event stream (`Docs/Testing-Jicofo.md`), the
/// streamed form of jitsi-meet's `mod_test_observer`, which hooks Prosody's `muc-room-created`,
/// `muc-occupant-joined`, `muc-occupant-left` and `muc-room-destroyed`.
///
/// Called on the room's event loop, after the room's deliveries for the stanza that caused the change. The room
/// finds the changes by comparing its occupants before and after a stanza, and only while `isObserving` is true, so
/// a server without watchers does no extra work per stanza.
public protocol MUCObserver: Sendable {
    /// Whether anyone is watching right now (read once per stanza a room handles).
    var isObserving: Bool { get }
    /// One change in a room.
    func roomChanged(_ change: MUCRoomChange)
}

/// One observable change in a room (XEP-0045 terms).
public enum MUCRoomChange: Sendable, Hashable {
    /// The room was created by its first joiner's presence.
    case created(room: JID)
    /// The room ended: emptied, destroyed by its owner, ended for all, or reset by the control API.
    case destroyed(room: JID)
    /// An occupant entered the room (§7.2).
    case joined(room: JID, occupant: MUCOccupantFacts)
    /// An occupant left, was kicked or banned (§7.14, §8.2, §9.1).
    case left(room: JID, occupant: MUCOccupantFacts)
    /// An occupant's role changed (§8.4, §9.6): `occupant` has the new role.
    case roleChanged(room: JID, occupant: MUCOccupantFacts, from: Role)
    /// An occupant's affiliation changed (§9, §10): `occupant` has the new affiliation.
    case affiliationChanged(room: JID, occupant: MUCOccupantFacts, from: Affiliation)
}

/// What an observer learns about an occupant.
public struct MUCOccupantFacts: Sendable, Hashable {
    public var nick: String
    /// The real bare JID behind the nick.
    public var realJID: JID
    /// Its sessions' full JIDs.
    public var sessions: [JID]
    public var role: Role
    public var affiliation: Affiliation

    public init(nick: String, realJID: JID, sessions: [JID], role: Role, affiliation: Affiliation) {
        self.nick = nick
        self.realJID = realJID
        self.sessions = sessions
        self.role = role
        self.affiliation = affiliation
    }
}

extension RoomState {
    /// Every occupant as an observer sees it, by nick.
    public var occupantFacts: [String: MUCOccupantFacts] {
        var facts: [String: MUCOccupantFacts] = [:]
        facts.reserveCapacity(self.occupants.count)
        for (nick, occupant) in self.occupants {
            facts[nick] = MUCOccupantFacts(
                nick: nick,
                realJID: occupant.bareJID,
                sessions: occupant.sessions,
                role: occupant.role,
                affiliation: self.affiliation(of: occupant.bareJID)
            )
        }
        return facts
    }

    /// The changes between two views of one room's occupants, in a stable order: leaves, then changes, then joins
    /// (each by nick).
    public static func changes(
        room: JID,
        from before: [String: MUCOccupantFacts],
        to after: [String: MUCOccupantFacts]
    ) -> [MUCRoomChange] {
        var changes: [MUCRoomChange] = []
        for nick in before.keys.sorted() where after[nick] == nil {
            if let old = before[nick] { changes.append(.left(room: room, occupant: old)) }
        }
        for nick in after.keys.sorted() {
            guard let new = after[nick], let old = before[nick] else { continue }
            if old.affiliation != new.affiliation {
                changes.append(.affiliationChanged(room: room, occupant: new, from: old.affiliation))
            }
            if old.role != new.role { changes.append(.roleChanged(room: room, occupant: new, from: old.role)) }
        }
        for nick in after.keys.sorted() where before[nick] == nil {
            if let new = after[nick] { changes.append(.joined(room: room, occupant: new)) }
        }
        return changes
    }
}

extension RoomState {
    /// The occupants' nicks in the order they joined (broadcasts follow it).
    public var nicksInJoinOrder: [String] { self.order }
}
