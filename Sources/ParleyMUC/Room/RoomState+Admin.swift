import ParleyCore
import ParleyXML

/// `muc#admin` (XEP-0045 §8–§9): kicks (role none, status 307), role changes, affiliation changes
/// (Jicofo's auto-owner grant), bans (outcast, status 301), and the lists.
extension RoomState {
    mutating func adminIQ(_ iq: Stanza, from: JID, query: XMLElement) -> [Stanza] {
        guard let actorAffiliation = Optional(self.affiliation(of: from)) else { return [] }
        let actor = self.occupant(of: from)
        let actorRole: Role = actor?.role ?? (self.service.isAdmin(from) ? .moderator : .none)
        let items = query.elements.filter { $0.name == "item" && $0.namespace == Namespace.mucAdmin }
        guard !items.isEmpty else { return self.errorReply(iq, StanzaError(.badRequest, text: "No item")) }

        if iq.type == "get" {
            guard let item = items.first else { return [] }
            var result = XMLElement(name: "query", namespace: Namespace.mucAdmin)
            if let wanted = item[attribute: "affiliation"].flatMap(Affiliation.init(rawValue:)) {
                guard actorAffiliation >= .admin else { return self.errorReply(iq, StanzaError(.forbidden)) }
                for (jid, affiliation) in self.affiliations.sorted(by: { $0.key.description < $1.key.description })
                where affiliation == wanted {
                    result.append(
                        XMLElement(
                            "item",
                            ns: Namespace.mucAdmin,
                            [("affiliation", affiliation.rawValue), ("jid", jid.description)]
                        )
                    )
                }
            } else if let wanted = item[attribute: "role"].flatMap(Role.init(rawValue:)) {
                guard actorRole == .moderator else { return self.errorReply(iq, StanzaError(.forbidden)) }
                for nick in self.order {
                    guard let o = self.occupants[nick], o.role == wanted else { continue }
                    result.append(
                        XMLElement(
                            "item",
                            ns: Namespace.mucAdmin,
                            [
                                ("affiliation", self.affiliation(of: o.bareJID).rawValue), ("role", o.role.rawValue),
                                ("nick", nick), ("jid", o.primarySession.description),
                            ]
                        )
                    )
                }
            } else {
                return self.errorReply(iq, StanzaError(.badRequest, text: "Ask for an affiliation or a role"))
            }
            return [iq.resultReply(result)]
        }

        var out: [Stanza] = []
        for item in items {
            let reason = item.child("reason", namespace: Namespace.mucAdmin)?.text
            if let roleText = item[attribute: "role"] {
                guard let role = Role(rawValue: roleText), let nick = item[attribute: "nick"] else {
                    return out
                        + self.errorReply(iq, StanzaError(.badRequest, text: "A role change needs a role and a nick"))
                }
                guard actorRole == .moderator else {
                    return out + self.errorReply(iq, StanzaError(.forbidden, text: "Only moderators may change roles"))
                }
                guard let target = self.occupants[nick] else {
                    return out + self.errorReply(iq, StanzaError(.itemNotFound, text: "No such occupant"))
                }
                let targetAffiliation = self.affiliation(of: target.bareJID)
                if targetAffiliation >= .admin && (role < .moderator) && actorAffiliation <= targetAffiliation {
                    return out
                        + self.errorReply(
                            iq,
                            StanzaError(.notAllowed, text: "You may not change the role of an admin or owner")
                        )
                }
                if role == .none {
                    // A kick (§8.2): 307, the actor and the reason; Jitsi's meeting_id also drops the affiliation.
                    out += self.remove(nick, statuses: [307], actor: actor?.nick, reason: reason)
                    if targetAffiliation < .admin { self.affiliations[target.bareJID] = nil }
                } else {
                    var changed = target
                    changed.role = role
                    self.occupants[nick] = changed
                    out += self.broadcastPresence(of: changed)
                }
            } else if let affiliationText = item[attribute: "affiliation"] {
                guard let affiliation = Affiliation(rawValue: affiliationText) else {
                    return out + self.errorReply(iq, StanzaError(.badRequest, text: "Unknown affiliation"))
                }
                let targetJID: JID?
                if let jid = item[attribute: "jid"] {
                    targetJID = (try? JID(jid))?.bare
                } else if let nick = item[attribute: "nick"] {
                    targetJID = self.occupants[nick]?.bareJID
                } else {
                    targetJID = nil
                }
                guard let targetJID else {
                    return out
                        + self.errorReply(iq, StanzaError(.badRequest, text: "An affiliation change needs a jid"))
                }
                let current = self.affiliation(of: targetJID)
                // §9–§10: admins manage members and outcasts below admin; owners manage everything.
                let allowed =
                    actorAffiliation == .owner
                    || (actorAffiliation == .admin && current < .admin && affiliation < .admin)
                guard allowed else {
                    return out
                        + self.errorReply(
                            iq,
                            StanzaError(.forbidden, text: "You may not grant or take that affiliation")
                        )
                }
                if self.service.isAdmin(targetJID) {
                    return out
                        + self.errorReply(
                            iq,
                            StanzaError(.notAcceptable, text: "Service admins are owners of every room")
                        )
                }
                self.affiliations[targetJID] = affiliation == .none ? nil : affiliation
                for nick in self.order {
                    guard var o = self.occupants[nick], o.bareJID == targetJID else { continue }
                    if affiliation == .outcast {
                        out += self.remove(nick, statuses: [301], actor: actor?.nick, reason: reason)
                    } else {
                        o.role = affiliation.defaultRole
                        self.occupants[nick] = o
                        out += self.broadcastPresence(of: o)
                    }
                }
                out += self.react(to: .affiliationChanged(bareJID: targetJID, to: affiliation))
            } else {
                return out
                    + self.errorReply(iq, StanzaError(.badRequest, text: "An item needs a role or an affiliation"))
            }
        }
        return out + [iq.resultReply()]
    }
}
