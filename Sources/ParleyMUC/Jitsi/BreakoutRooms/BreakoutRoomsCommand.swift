import ParleyCore
import ParleyXML

/// A moderator's breakout rooms command as lib-jitsi-meet's `BreakoutRooms` sends it to the breakout component: an
/// element of the message's own namespace with the fields as attributes (Strophe's `c('breakout_rooms', message)`).
///
/// ```
/// <message to='breakout.meet.jitsi'>
///   <breakout_rooms type='features/breakout-rooms/add' subject='Breakout room #1'/>
/// </message>
/// <breakout_rooms type='features/breakout-rooms/remove' breakoutRoomJid='…@breakout.meet.jitsi'/>
/// <breakout_rooms type='features/breakout-rooms/rename' breakoutRoomJid='…' subject='Design'/>
/// <breakout_rooms type='features/breakout-rooms/move-to-room' participantJid='<real full JID>' roomJid='…'/>
/// ```
public struct BreakoutRoomsCommand: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case add(subject: String?)
        case remove(room: JID)
        case rename(room: JID, subject: String)
        case moveToRoom(participant: JID, room: JID)
    }

    public let kind: Kind

    /// The longest room name accepted, in bytes (every occupant gets every name with each room list).
    public static let maxSubjectBytes = 1024

    /// Reads a `<breakout_rooms/>` element; a missing or unknown type, a missing or malformed JID or a missing
    /// subject is `bad-request`, an overlong subject `policy-violation`.
    public init(_ element: XMLElement) throws(StanzaError) {
        guard let type = element[attribute: "type"] else {
            throw StanzaError(.badRequest, text: "Expected a type (features/breakout-rooms/…)")
        }
        let subject = element[attribute: "subject"]
        if let subject, subject.utf8.count > Self.maxSubjectBytes {
            throw StanzaError(
                .policyViolation,
                text: "A breakout room name may have at most \(Self.maxSubjectBytes) bytes"
            )
        }
        switch type {
        case BreakoutRoomsWire.add:
            self.kind = .add(subject: subject)
        case BreakoutRoomsWire.remove:
            self.kind = .remove(room: try Self.jid(element, "breakoutRoomJid"))
        case BreakoutRoomsWire.rename:
            guard let subject else { throw StanzaError(.badRequest, text: "Expected a subject") }
            self.kind = .rename(room: try Self.jid(element, "breakoutRoomJid"), subject: subject)
        case BreakoutRoomsWire.moveToRoom:
            self.kind = .moveToRoom(
                participant: try Self.jid(element, "participantJid"),
                room: try Self.jid(element, "roomJid")
            )
        default:
            throw StanzaError(.badRequest, text: "Unknown breakout rooms action")
        }
    }

    private static func jid(_ element: XMLElement, _ attribute: String) throws(StanzaError) -> JID {
        guard let text = element[attribute: attribute], let jid = try? JID(text) else {
            throw StanzaError(.badRequest, text: "Expected \(attribute) with a JID")
        }
        return jid
    }
}
