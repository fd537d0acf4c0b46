import ParleyCore
import ParleyXML

/// IQs: to an occupant they are relayed with a rewritten id (Jingle, Colibri2, health checks and feature
/// disco use this); to the room they are disco (XEP-0030 §3, occupants only: Jitsi's `muc_hide_all`),
/// `muc#admin` (§9) and `muc#owner` (§10).
extension RoomState {
    mutating func handleIQ(_ iq: Stanza) -> [Stanza] {
        guard let from = iq.from, let to = iq.to else { return [] }
        if let nick = to.resourcepart { return self.iqToOccupant(iq, from: from, nick: nick) }
        guard iq.isIQRequest, let payload = iq.payload else { return [] }
        switch (iq.type, payload.namespace, payload.name) {
        case ("get", Namespace.discoInfo, "query"):
            guard self.occupant(of: from) != nil || self.service.isAdmin(from) || !self.service.hideRooms else {
                return self.errorReply(iq, StanzaError(.forbidden, text: "Only occupants may see this room"))
            }
            guard payload[attribute: "node"] == nil else { return self.errorReply(iq, StanzaError(.itemNotFound)) }
            return [iq.resultReply(self.discoInfo())]
        case ("get", Namespace.discoItems, "query"):
            guard self.occupant(of: from) != nil || self.service.isAdmin(from) else {
                return self.errorReply(iq, StanzaError(.forbidden, text: "Only occupants may see this room"))
            }
            return [iq.resultReply(XMLElement(name: "query", namespace: Namespace.discoItems))]
        case (_, Namespace.mucAdmin, "query"):
            return self.adminIQ(iq, from: from, query: payload)
        case (_, Namespace.mucOwner, "query"):
            return self.ownerIQ(iq, from: from, query: payload)
        default:
            return self.errorReply(iq, StanzaError(.serviceUnavailable))
        }
    }

    private mutating func iqToOccupant(_ iq: Stanza, from: JID, nick: String) -> [Stanza] {
        if iq.isIQRequest {
            guard let sender = self.occupant(of: from) else {
                return self.errorReply(
                    iq,
                    StanzaError(.notAcceptable, text: "Only occupants may send IQs to occupants")
                )
            }
            guard let target = self.occupants[nick], let id = iq.id else {
                return self.errorReply(iq, StanzaError(.itemNotFound, text: "No such occupant"))
            }
            var relayed = iq
            relayed.from = self.occupantJID(sender.nick)
            relayed.to = target.primarySession
            let rewritten = OccupantIQID.encode(sender: from, id: id, secret: self.iqSecret)
            relayed.withElement { $0[attribute: "id"] = rewritten }
            return [relayed]
        }
        // A result or error coming back: `nick` is the original sender's nick, the id says who and which id.
        guard let responder = self.occupant(of: from), let id = iq.id,
            let (sender, originalID) = OccupantIQID.decode(id, secret: self.iqSecret),
            self.occupants[nick]?.sessions.contains(sender) == true
        else { return [] }
        var answer = iq
        answer.from = self.occupantJID(responder.nick)
        answer.to = sender
        answer.withElement { $0[attribute: "id"] = originalID }
        return [answer]
    }

    /// Room disco#info (XEP-0045 §6.4) with the `muc#roominfo` form Jitsi reads (meeting id, created time).
    func discoInfo() -> XMLElement {
        let ns = Namespace.discoInfo
        var query = XMLElement(name: "query", namespace: ns)
        let name = self.configuration.name.isEmpty ? (self.jid.localpart ?? "") : self.configuration.name
        query.append(XMLElement("identity", ns: ns, [("category", "conference"), ("type", "text"), ("name", name)]))
        var features = [Namespace.muc, "http://jabber.org/protocol/muc#stable_id", "muc_unmoderated"]
        features.append(self.configuration.membersOnly ? "muc_membersonly" : "muc_open")
        features.append(self.configuration.password == nil ? "muc_unsecured" : "muc_passwordprotected")
        features.append(self.configuration.whois == .anyone ? "muc_nonanonymous" : "muc_semianonymous")
        features.append("muc_temporary")
        features.append(self.configuration.publicRoom ? "muc_public" : "muc_hidden")
        for feature in features { query.append(XMLElement("feature", ns: ns, [("var", feature)])) }
        var lobbyField: [DataForm.Field] = []
        if self.configuration.membersOnly, let lobby = self.lobbyJID ?? self.breakoutOf?.lobbyJID {
            // Jitsi's lobby: where lib-jitsi-meet sends knockers (`muc#roominfo_lobbyroom`); a breakout room points
            // at its main room's.
            lobbyField.append(.init("muc#roominfo_lobbyroom", label: "Lobby room jid", values: [lobby.description]))
        }
        lobbyField += self.breakoutFormFields
        let form = DataForm(
            type: .result,
            fields: lobbyField + [
                .init("FORM_TYPE", type: "hidden", values: [Namespace.mucRoomInfo]),
                .init("muc#roominfo_occupants", label: "Number of occupants", values: [String(self.occupants.count)]),
                .init("muc#roominfo_description", label: "Description", values: [self.configuration.description]),
                .init("muc#roominfo_lang", values: [self.configuration.language]),
                .init(
                    "muc#roomconfig_changesubject",
                    type: "boolean",
                    values: [self.configuration.changeSubject ? "1" : "0"]
                ),
                .init(
                    "muc#roominfo_meetingId",
                    type: "text-single",
                    label: "The meeting unique id.",
                    values: [self.meetingID]
                ),
                .init(
                    "muc#roominfo_created_timestamp",
                    type: "text-single",
                    label: "The meeting created_timestamp.",
                    values: [String(self.createdMillis)]
                ),
            ]
        )
        query.append(form.element)
        return query
    }
}
