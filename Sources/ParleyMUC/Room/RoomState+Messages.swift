import ParleyCore
import ParleyXML

/// Messages: groupchat to all occupants (XEP-0045 §7.4), private messages (§7.5), subject (§8.1),
/// and memory-only history when a room enables it (off by default).
extension RoomState {
    mutating func handleMessage(_ message: Stanza, nowMillis: Int64) -> [Stanza] {
        guard let from = message.from, let to = message.to, !message.isError else { return [] }
        guard let sender = self.occupant(of: from) else {
            return self.errorReply(
                message,
                StanzaError(.notAcceptable, text: "Only occupants may send messages to this room")
            )
        }
        if let nick = to.resourcepart {
            guard message.type != "groupchat" else {
                return self.errorReply(
                    message,
                    StanzaError(.badRequest, text: "Groupchat messages go to the room, not to an occupant")
                )
            }
            guard let target = self.occupants[nick] else {
                return self.errorReply(message, StanzaError(.itemNotFound, text: "No such occupant"))
            }
            var element = message.element
            element.append(XMLElement(name: "x", namespace: Namespace.mucUser))
            return target.sessions.map {
                Stanza(unchecked: element, kind: .message, from: self.occupantJID(sender.nick), to: $0)
            }
        }
        if let invites = RoomState.invitations(in: message) {
            return self.invite(message, from: from, sender: sender, invites: invites)
        }
        guard message.type == "groupchat" else {
            return self.errorReply(
                message,
                StanzaError(.featureNotImplemented, text: "Only groupchat messages may be sent to the room")
            )
        }
        guard sender.role >= .participant else {
            return self.errorReply(message, StanzaError(.forbidden, text: "Visitors may not speak in this room"))
        }
        var element = message.element
        // Jitsi's meeting_id strips the nick element from groupchat (the nick is in the presence already).
        element.removeChildren { $0.name == "nick" && $0.namespace == Namespace.nick }
        if let subject = element.child("subject"), element.child("body") == nil {
            guard self.configuration.changeSubject || sender.role == .moderator else {
                return self.errorReply(message, StanzaError(.forbidden, text: "Only moderators may change the subject"))
            }
            self.subject = (subject.text, sender.nick)
        } else if self.configuration.historyLength > 0 {
            self.history.append(
                (Stanza(unchecked: element, kind: .message, from: self.occupantJID(sender.nick), to: nil), nowMillis)
            )
            if self.history.count > self.configuration.historyLength {
                self.history.removeFirst(self.history.count - self.configuration.historyLength)
            }
        }
        var template = Stanza(unchecked: element, kind: .message, from: sender.jid, to: nil)
        template.prepareBroadcast()
        return self.allSessions.map { template.addressed(to: $0) }
    }

    /// History for a newcomer (§7.2.15), each with a delay stamp (XEP-0203).
    func historyDeliveries(to recipient: JID) -> [Stanza] {
        self.history.map { entry in
            var element = entry.stanza.element
            element.append(
                XMLElement(
                    "delay",
                    ns: Namespace.delay,
                    [("stamp", RoomState.iso8601(entry.stampMillis)), ("from", self.jid.description)]
                )
            )
            return Stanza(unchecked: element, kind: .message, from: entry.stanza.from, to: recipient)
        }
    }

    /// `subjectMessage(to:)` for a joiner: a copy of the room's serialized subject message, which is made once per
    /// subject, so each joiner's costs only its `to`.
    mutating func joinerSubjectMessage(to recipient: JID) -> Stanza {
        if let template = self.subjectTemplate { return template.addressed(to: recipient) }
        var template = self.subjectMessage(to: recipient)
        template.to = nil
        template.prepareBroadcast()
        self.subjectTemplate = template
        return template.addressed(to: recipient)
    }

    /// The subject message every newcomer gets last, even when empty (§7.2.15).
    func subjectMessage(to recipient: JID) -> Stanza {
        var element = XMLElement("message", ns: Namespace.client, [("type", "groupchat")])
        var subject = XMLElement(name: "subject", namespace: Namespace.client)
        if let text = self.subject?.text, !text.isEmpty { subject.append(text: text) }
        element.append(subject)
        let from = self.subject.map { self.occupantJID($0.by) } ?? self.jid
        return Stanza(unchecked: element, kind: .message, from: from, to: recipient)
    }

    static func iso8601(_ millis: Int64) -> String {
        let seconds = millis / 1000
        let days = seconds / 86_400
        let rest = seconds % 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60))Z"
    }
}
