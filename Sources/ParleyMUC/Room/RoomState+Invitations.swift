import ParleyCore
import ParleyXML

/// Mediated invitations (XEP-0045 §7.8.2): an occupant sends the room
/// `<message><x xmlns='http://jabber.org/protocol/muc#user'><invite to='…'><reason/></invite></x></message>` and the
/// room passes each invitation on from its own JID. In a members-only room only admins, owners and moderators may
/// invite, and the invitee becomes a member (§9.3), which is how Jitsi's lobby lets a knocker in.
extension RoomState {
    /// The invitations in `message`, if it carries any.
    static func invitations(in message: Stanza) -> [XMLElement]? {
        guard message.type == nil || message.type == "normal",
            let x = message.body.child("x", namespace: Namespace.mucUser)
        else { return nil }
        let invites = x.elements.filter { $0.name == "invite" && $0.namespace == Namespace.mucUser }
        return invites.isEmpty ? nil : invites
    }

    mutating func invite(_ message: Stanza, from: JID, sender: Occupant, invites: [XMLElement]) -> [Stanza] {
        if self.configuration.membersOnly, self.affiliation(of: from) < .admin, sender.role < .moderator {
            return self.errorReply(message, StanzaError(.forbidden, text: "Only moderators may invite to this room"))
        }
        var invitees: [JID] = []
        for invite in invites {
            guard let text = invite[attribute: "to"], let invitee = try? JID(text) else {
                return self.errorReply(message, StanzaError(.jidMalformed, text: "An invitation needs a valid to"))
            }
            invitees.append(invitee)
        }
        var out: [Stanza] = []
        for (invite, invitee) in zip(invites, invitees) {
            if self.configuration.membersOnly, self.affiliation(of: invitee) < .member {
                self.affiliations[invitee.bare] = .member
            }
            var element = XMLElement(name: "message", namespace: Namespace.client)
            var x = XMLElement(name: "x", namespace: Namespace.mucUser)
            var forwarded = XMLElement("invite", ns: Namespace.mucUser, [("from", from.description)])
            if let reason = invite.child("reason", namespace: Namespace.mucUser)?.text {
                var r = XMLElement(name: "reason", namespace: Namespace.mucUser)
                r.append(text: reason)
                forwarded.append(r)
            }
            x.append(forwarded)
            element.append(x)
            out.append(Stanza(unchecked: element, kind: .message, from: self.jid, to: invitee))
            out += self.react(to: .invited(inviter: from, invitee: invitee))
        }
        return out
    }
}
