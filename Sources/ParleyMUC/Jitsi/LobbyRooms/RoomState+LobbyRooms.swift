import Foundation
import ParleyCore
import ParleyXML

/// Jitsi's lobby (`mod_muc_lobby_rooms`, lib-jitsi-meet's `Lobby`), from the main room's side:
/// - a moderator (not the focus) making the room members-only opens the lobby room on the lobby domain, and every
///   occupant gets the configuration change (104) and a `lobby-notify` `LOBBY-ENABLED` message; turning
///   members-only off closes it, and those waiting are told ("Lobby room closed.", pointing at the main room);
/// - joins are gated by `LobbyPolicy`; knockers wait in the lobby room, where only the main room's owners see them
///   and talk with them (`lobbyStanza`);
/// - a moderator lets a knocker in with a mediated invitation (the knocker becomes a member, everyone gets
///   `LOBBY-ACCESS-GRANTED`) or turns it away by kicking it from the lobby (`LOBBY-ACCESS-DENIED`);
/// - the lobby closes with the main room.
extension RoomState {
    /// The lobby room's JID while the room has a lobby.
    public var lobbyJID: JID? { self.lobbyRoom?.state.jid }

    /// Who is waiting in the lobby, by lobby nick (for tests and administration).
    public var lobbyOccupants: [String: Occupant] { self.lobbyRoom?.state.occupants ?? [:] }

    // MARK: Opening and closing

    /// After an owner form changed members-only: opens or closes the lobby. The focus's own submissions never
    /// open one (Jicofo submits the form on every join).
    mutating func lobbyAfterMembersOnlyChange(by actor: JID) -> [Stanza] {
        guard let lobbyDomain = self.service.lobbyDomain else { return [] }
        if self.configuration.membersOnly {
            let isFocus = self.service.isAdmin(actor) && actor.localpart == self.service.focusNick
            guard self.lobbyRoom == nil, !isFocus,
                let localpart = self.jid.localpart,
                let lobbyJID = try? JID(localpart: localpart, domainpart: lobbyDomain, resourcepart: nil)
            else { return [] }
            self.lobbyRoom = .open(self.newLobbyState(jid: lobbyJID))
            return self.lobbyNotice(["event": .string(LobbyRoomsWire.enabled), "value": .bool(true)], from: actor)
                + self.setRoomMetadata("lobbyEnabled", .bool(true))
        }
        guard self.lobbyRoom != nil else { return [] }
        return self.closeLobby(alternate: self.jid.description)
            + self.lobbyNotice(["event": .string(LobbyRoomsWire.enabled), "value": .bool(false)], from: actor)
            + self.setRoomMetadata("lobbyEnabled", .bool(false))
    }

    /// A fresh lobby room: no locking, no creator-owner, the main room's admins, and JIDs visible to its
    /// moderators (who are the main room's owners).
    private func newLobbyState(jid: JID) -> RoomState {
        var service = MUCServiceConfiguration(domain: jid.domainpart)
        service.restrictRoomCreation = true
        service.roomLocking = false
        service.admins = self.service.admins
        service.focusNick = self.service.focusNick
        service.maxNickBytes = self.service.maxNickBytes
        var lobby = RoomState(
            jid: jid,
            service: service,
            meetingID: self.meetingID,
            createdMillis: self.clockMillis,
            iqSecret: self.iqSecret
        )
        lobby.isNew = false
        lobby.configuration.whois = .moderators
        return lobby
    }

    /// Closes the lobby: everyone waiting gets the destroy presence with "Lobby room closed." (and `alternate`).
    private mutating func closeLobby(alternate: String?) -> [Stanza] {
        guard case .open(var lobby)? = self.lobbyRoom else { return [] }
        self.lobbyRoom = nil
        return lobby.destroy(reason: LobbyRoomsWire.closedReason, alternate: alternate)
    }

    // MARK: Stanzas to the lobby room

    /// A stanza addressed to the lobby room or one of its occupants, handled by the lobby inside this room, with
    /// what it produces filtered as Jitsi's lobby filters it: knockers' presence reaches only the main room's
    /// owners, owners' presence does not reach knockers (leaving does), messages pass only to or from an owner.
    public mutating func lobbyStanza(_ stanza: Stanza, nowMillis: Int64) -> [Stanza] {
        self.clockMillis = nowMillis
        guard case .open(var lobby)? = self.lobbyRoom else {
            if stanza.kind == .presence, stanza.type == nil {
                return [RoomState.presenceError(stanza, StanzaError(.itemNotFound, text: "This meeting has no lobby"))]
            }
            return stanza.isError || stanza.kind == .presence
                ? [] : [stanza.errorReply(StanzaError(.itemNotFound, text: "This meeting has no lobby"))]
        }
        // The lobby's owners are the main room's.
        lobby.affiliations = self.affiliations.filter { $0.value == .owner }
        let denied = self.lobbyKickTarget(stanza, in: lobby)
        let out = lobby.handle(stanza, nowMillis: nowMillis)
        let delivered = out.filter { self.lobbyMayDeliver($0, lobby: lobby) }
        var notices: [Stanza] = []
        if let denied, lobby.occupants[denied.nick] == nil, let actor = stanza.from {
            notices = self.lobbyNotice(
                [
                    "event": .string(LobbyRoomsWire.denied), "value": .string(denied.jid.description),
                    "name": Self.displayName(of: denied).map(JSONValue.string) ?? .null,
                ],
                from: actor
            )
        }
        if lobby.destroyed {
            // Everyone left: the lobby stays open, empty, while the main room is members-only.
            lobby = self.newLobbyState(jid: lobby.jid)
        }
        self.lobbyRoom = .open(lobby)
        return delivered + notices
    }

    /// The lobby occupant an owner's admin IQ kicks (role none), if that is what `stanza` is.
    private func lobbyKickTarget(_ stanza: Stanza, in lobby: RoomState) -> Occupant? {
        guard stanza.kind == .iq, stanza.type == "set", let from = stanza.from, self.affiliation(of: from) == .owner,
            let query = stanza.payload, query.name == "query", query.namespace == Namespace.mucAdmin
        else { return nil }
        for item in query.elements where item.name == "item" && item[attribute: "role"] == "none" {
            if let nick = item[attribute: "nick"], let occupant = lobby.occupants[nick] { return occupant }
        }
        return nil
    }

    private func lobbyMayDeliver(_ stanza: Stanza, lobby: RoomState) -> Bool {
        guard let to = stanza.to else { return false }
        let toOwner = self.affiliation(of: to) == .owner
        let subject = stanza.from?.resourcepart.flatMap { lobby.occupants[$0] }
        let fromOwner = subject.map { self.affiliation(of: $0.bareJID) == .owner } ?? false
        switch stanza.kind {
        case .presence:
            if stanza.type == "unavailable" || stanza.type == "error" { return true }
            let codes =
                stanza.body.child("x", namespace: Namespace.mucUser)?.elements
                .filter { $0.name == "status" }.compactMap { $0[attribute: "code"] } ?? []
            if codes.contains("110") { return true }
            guard subject != nil else { return toOwner }
            return toOwner && !fromOwner
        case .message:
            if stanza.from == lobby.jid { return true }
            return toOwner || fromOwner
        case .iq:
            if !stanza.isIQRequest { return true }
            return toOwner || fromOwner
        }
    }

    // MARK: Reactions

    /// A moderator's invitation of someone waiting in the lobby lets it in (`LOBBY-ACCESS-GRANTED`); the room's end
    /// closes the lobby.
    mutating func lobbyReaction(to event: RoomEvent) -> [Stanza] {
        switch event {
        case .invited(let inviter, let invitee):
            guard let lobby = self.lobbyRoom?.state,
                let waiting = lobby.occupants.values.first(where: {
                    $0.sessions.contains(invitee) || $0.bareJID == invitee
                })
            else { return [] }
            return self.lobbyNotice(
                [
                    "event": .string(LobbyRoomsWire.granted), "value": .string(waiting.jid.description),
                    "name": Self.displayName(of: waiting).map(JSONValue.string) ?? .null,
                ],
                from: inviter
            )
        case .roomDestroyed:
            return self.closeLobby(alternate: nil)
        case .occupantJoined, .occupantLeaving, .occupantLeft, .affiliationChanged:
            return []
        }
    }

    /// `{"type":"lobby-notify",…}` as a groupchat message from `actor`'s occupant JID to everyone in the room
    /// (nothing when the actor is not an occupant, as in Jitsi's module).
    private func lobbyNotice(_ fields: [String: JSONValue], from actor: JID) -> [Stanza] {
        guard let occupant = self.occupant(of: actor) else { return [] }
        var object = fields
        object["type"] = .string(LobbyRoomsWire.notifyType)
        var message = XMLElement("message", ns: Namespace.client, [("type", "groupchat")])
        var json = XMLElement(name: "json-message", namespace: LobbyRoomsWire.namespace)
        json.append(text: JSONValue.text(.object(object)))
        message.append(json)
        var template = Stanza(unchecked: message, kind: .message, from: occupant.jid, to: nil)
        template.prepareBroadcast()
        return self.allSessions.map { template.addressed(to: $0) }
    }
}
