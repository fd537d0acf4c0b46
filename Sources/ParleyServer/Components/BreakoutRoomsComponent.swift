import Foundation
import ParleyCore
import ParleyMUC
import ParleyXML

/// Jitsi's breakout rooms MUC domain (`breakout.meet.jitsi`, `mod_muc_breakout_rooms`), announced on the hosts'
/// disco#info as `<identity category='component' type='breakout_rooms' name='breakout.meet.jitsi'/>`, which is how
/// lib-jitsi-meet offers "Add breakout room". It serves two things:
/// - messages to the domain itself carry a moderator's command,
///   `<message to='breakout.meet.jitsi'><breakout_rooms type='features/breakout-rooms/add' subject='…'/></message>`
///   (`BreakoutRoomsCommand`), for the conference of the sender's web session (`ConferenceRooms`); disco#info with
///   node `breakout_rooms` lists the rename feature;
/// - the breakout rooms, `<main>_<uuid>@breakout.meet.jitsi`, each handled by its main room on the main room's loop
///   (`RoomState.breakoutStanza`): no breakout room exists without its main room.
///
/// Refusals are errors with a text (Jitsi's module drops bad commands silently).
struct BreakoutRoomsComponent: DomainHandler {
    let domain: String
    /// The conference MUC whose rooms own the breakout rooms.
    let rooms: ConferenceRooms

    var discoIdentity: DiscoIdentity? {
        DiscoIdentity(category: "component", type: BreakoutRoomsComponent.identityType, name: self.domain)
    }

    static let identityType = "breakout_rooms"
    static let renameFeature = "http://jitsi.org/protocol/breakout_rooms#rename"

    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard let to = stanza.to, stanza.from != nil else { return }
        guard let node = to.localpart else {
            if stanza.kind == .iq { return self.serviceIQ(stanza, from: session, router: router) }
            return self.command(stanza, from: session, router: router)
        }
        guard let name = BreakoutRoomName(node: node), let main = self.rooms.service.room(name.mainRoom) else {
            return router.deliver(RoomState.invalidBreakoutRoom(stanza))
        }
        // A token's room claim covers the breakout rooms of the room it names, and no others (Jitsi does not check
        // the claim on its breakout MUC).
        if stanza.kind == .presence, stanza.type == nil, to.resourcepart != nil, let from = stanza.from,
            case .refuse(let error) = TokenRoomClaimPolicy.verdict(
                room: name.mainRoom,
                tokenRoom: session?.tokenRoom,
                isAdmin: self.rooms.service.configuration.isAdmin(from)
            )
        {
            return router.deliver(RoomState.presenceError(stanza, error))
        }
        main.receiveBreakout(stanza, sender: session, sink: router)
    }

    /// A moderator's command to the domain.
    private func command(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard ConferenceRooms.isCommand(stanza, router: router) else { return }
        guard let element = stanza.body.elements.first(where: { $0.name == Self.identityType }) else {
            return router.bounce(stanza, StanzaError(.badRequest, text: "Expected <breakout_rooms/>"))
        }
        let command: BreakoutRoomsCommand
        do {
            command = try BreakoutRoomsCommand(element)
        } catch {
            return router.bounce(stanza, error)
        }
        guard let (room, sender) = self.rooms.room(for: stanza, from: session, router: router) else { return }
        room.perform(
            { $0.breakoutRooms(command, from: sender, nowMillis: Int64(Date().timeIntervalSince1970 * 1000)) },
            sink: router,
            refused: { error in router.bounce(stanza, error) }
        )
    }

    /// The domain answers disco#info as a MUC service; with node `breakout_rooms` it lists the features
    /// lib-jitsi-meet looks for (Jitsi's `host-disco-info-node` hook: the rename feature, for web sessions).
    /// disco#items lists no rooms.
    private func serviceIQ(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) {
        guard stanza.isIQRequest, let payload = stanza.payload else { return }
        switch (stanza.type, payload.namespace, payload.name) {
        case ("get", Namespace.discoInfo, "query"):
            var query = XMLElement(name: "query", namespace: Namespace.discoInfo)
            if let node = payload[attribute: "node"] {
                guard node == Self.identityType else {
                    return router.bounce(stanza, StanzaError(.itemNotFound, text: "No such node"))
                }
                query[attribute: "node"] = node
                if session?.webRoom != nil {
                    query.append(XMLElement("feature", ns: Namespace.discoInfo, [("var", Self.renameFeature)]))
                }
                return router.route(stanza.resultReply(query))
            }
            MUCService.appendServiceInfo(to: &query, name: "Breakout rooms")
            router.route(stanza.resultReply(query))
        case ("get", Namespace.discoItems, "query"):
            router.route(stanza.resultReply(XMLElement(name: "query", namespace: Namespace.discoItems)))
        case ("get", Namespace.ping, "ping"):
            router.route(stanza.resultReply())
        default:
            router.bounce(stanza, StanzaError(.serviceUnavailable))
        }
    }
}
