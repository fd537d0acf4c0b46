import ParleyCore
import ParleyXML

/// A join as the policies see it: an available presence to `room@service/nick` from a session that is not yet an
/// occupant (XEP-0045 §7.2.1), with what the room knows of its sender worked out once.
public struct JoinRequest: Sendable {
    /// The join presence as sent (its `<x xmlns='http://jabber.org/protocol/muc'>` carries the password).
    public let presence: Stanza
    /// The real full JID of the joining session.
    public let from: JID
    /// The nick asked for: the resource of the presence's `to`.
    public let nick: String
    /// A service admin (Jitsi's focus, Prosody's `admins`): owner of every room.
    public let isAdmin: Bool
    /// The sender's affiliation with the room (admins are owners).
    public let affiliation: Affiliation

    public init(presence: Stanza, from: JID, nick: String, isAdmin: Bool, affiliation: Affiliation) {
        self.presence = presence
        self.from = from
        self.nick = nick
        self.isAdmin = isAdmin
        self.affiliation = affiliation
    }

    /// The same join seen with another affiliation.
    func with(affiliation: Affiliation) -> JoinRequest {
        JoinRequest(
            presence: self.presence,
            from: self.from,
            nick: self.nick,
            isAdmin: self.isAdmin,
            affiliation: affiliation
        )
    }

    /// The password the join carries (XEP-0045 §7.2.5), if any.
    public var password: String? {
        self.presence.body.child("x", namespace: Namespace.muc)?.child("password", namespace: Namespace.muc)?.text
    }
}
