import ParleyCore
import ParleyXML

/// Jitsi's lobby at the main room's door (`mod_muc_lobby_rooms`, its `muc-occupant-pre-join` hook), consulted just
/// before `MembersOnlyPolicy` while the room is members-only and has a lobby:
/// - the focus, admins and the service's `lobbyWhitelist` (Jibri's recorder, Jigasi's transcriber), and anyone
///   giving the room's password, skip the lobby and enter as members (`.admitAsMember`);
/// - a join without a display name (`<nick xmlns='http://jabber.org/protocol/nick'>`) is refused with
///   `modify/not-acceptable` and `<displayname-required xmlns='http://jitsi.org/jitmeet' lobby='true'/>`;
/// - anyone else without membership is refused with `auth/registration-required` and
///   `<lobbyroom xmlns='http://jitsi.org/jitmeet'>` naming the lobby room, where lib-jitsi-meet goes to knock.
public struct LobbyPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        guard room.configuration.membersOnly, let lobby = room.lobbyJID, join.nick != room.service.focusNick else {
            return .admit
        }
        if join.isAdmin || room.service.isLobbyWhitelisted(join.from) {
            return join.affiliation < .member ? .admitAsMember : .admit
        }
        if let password = room.configuration.password, join.password == password {
            return join.affiliation < .member ? .admitAsMember : .admit
        }
        guard join.affiliation < .member else { return .admit }
        let displayName = join.presence.body.child("nick", namespace: Namespace.nick)?.text ?? ""
        if displayName.isEmpty {
            var required = XMLElement(name: "displayname-required", namespace: LobbyRoomsWire.namespace)
            required[attribute: "lobby"] = "true"
            return .refuse(
                StanzaError(
                    .notAcceptable,
                    type: .modify,
                    text: "A display name is required to knock",
                    extra: [required]
                )
            )
        }
        var lobbyRoom = XMLElement(name: "lobbyroom", namespace: LobbyRoomsWire.namespace)
        lobbyRoom.append(text: lobby.description)
        // lib-jitsi-meet still reads the unqualified element too (Jitsi's module sends both).
        var legacy = XMLElement(name: "lobbyroom", namespace: Namespace.client)
        legacy.append(text: lobby.description)
        return .refuse(
            StanzaError(
                .registrationRequired,
                type: .auth,
                text: "This meeting has a lobby",
                extra: [lobbyRoom, legacy]
            )
        )
    }
}
