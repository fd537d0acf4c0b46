import Foundation
import ParleyCore
import ParleyMUC
import ParleyXML

/// Jitsi's lobby MUC domain (`lobby.meet.jitsi`, `mod_muc_lobby_rooms`), announced on the hosts' disco#info as
/// `<identity category='component' type='lobbyrooms' name='lobby.meet.jitsi'/>`, which is how lib-jitsi-meet knows
/// the lobby is supported. A lobby room belongs to the main room of the same name: every stanza to
/// `room@lobby.meet.jitsi[/nick]` is handled by `room@muc.meet.jitsi` (`RoomState.lobbyStanza`), on the main room's
/// loop, so the lobby always knows who moderates the main room. No lobby room exists on its own.
struct LobbyRoomsComponent: DomainHandler {
    let domain: String
    /// The conference MUC whose rooms own the lobbies.
    let service: MUCService

    var discoIdentity: DiscoIdentity? { DiscoIdentity(category: "component", type: "lobbyrooms", name: self.domain) }

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard let to = stanza.to, stanza.from != nil else { return }
        guard let name = to.localpart else { return self.serviceIQ(stanza, router: router) }
        guard let room = self.service.room(name) else {
            if stanza.kind == .presence, stanza.type == nil {
                let error = StanzaError(.itemNotFound, text: "This meeting has no lobby")
                var element = XMLElement(name: "presence", namespace: Namespace.client)
                if let id = stanza.id { element[attribute: "id"] = id }
                element[attribute: "type"] = "error"
                element.append(XMLElement(name: "x", namespace: Namespace.muc))
                element.append(error.element)
                router.route(Stanza(unchecked: element, kind: .presence, from: to, to: stanza.from))
            } else if stanza.kind != .presence {
                router.bounce(stanza, StanzaError(.itemNotFound, text: "This meeting has no lobby"))
            }
            return
        }
        room.perform(
            { state in .success(state.lobbyStanza(stanza, nowMillis: Int64(Date().timeIntervalSince1970 * 1000))) },
            sink: router,
            refused: { error in router.bounce(stanza, error) }
        )
    }

    /// The lobby domain itself answers disco#info as a MUC service and lists no rooms.
    private func serviceIQ(_ stanza: Stanza, router: StanzaRouter) {
        guard stanza.isIQRequest, let payload = stanza.payload else { return }
        if stanza.type == "get", payload.namespace == Namespace.discoInfo, payload.name == "query" {
            var query = XMLElement(name: "query", namespace: Namespace.discoInfo)
            query.append(
                XMLElement(
                    "identity",
                    ns: Namespace.discoInfo,
                    [("category", "conference"), ("type", "text"), ("name", "Lobby")]
                )
            )
            for feature in [Namespace.discoInfo, Namespace.muc] {
                query.append(XMLElement("feature", ns: Namespace.discoInfo, [("var", feature)]))
            }
            router.route(stanza.resultReply(query))
        } else {
            router.bounce(stanza, StanzaError(.serviceUnavailable))
        }
    }
}
