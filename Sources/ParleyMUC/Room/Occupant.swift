import ParleyCore
import ParleyXML

/// One occupant of a room (XEP-0045 §7.2): a nick, the real bare JID behind it and every session of
/// that JID that joined with the nick (Prosody's multi-session occupants), the role, and the last
/// presence it sent, payload untouched.
public struct Occupant: Sendable {
    public let nick: String
    /// `room@service/nick`, prepared once.
    public let jid: JID
    public let bareJID: JID
    /// Real full JIDs, in join order.
    public var sessions: [JID]
    public var role: Role
    /// The occupant's presence children as sent, without the MUC `<x/>` elements.
    public var payload: [XMLNode] {
        didSet { self.cachedPresence = nil }
    }
    /// Its presence as others see it, serialized once for the `key` it was made for.
    var cachedPresence: (key: PresenceKey, stanza: Stanza)?

    /// What an occupant's presence as others see it depends on, besides its payload.
    struct PresenceKey: Equatable {
        var affiliation: Affiliation
        var role: Role
        var showsJID: Bool
        var primarySession: JID
    }

    public init(nick: String, jid: JID, bareJID: JID, session: JID, role: Role, payload: [XMLNode]) {
        self.nick = nick
        self.jid = jid
        self.bareJID = bareJID
        self.sessions = [session]
        self.role = role
        self.payload = payload
    }

    /// The session IQs to this occupant go to.
    public var primarySession: JID { self.sessions.last ?? self.bareJID }
}
