import ParleyCore
import ParleyXML

/// `muc#owner` (XEP-0045 §10): the configuration form Jicofo reads and submits on every join, and destroy.
extension RoomState {
    /// Fields Parley lists and accepts. Submitting a field not listed is `not-acceptable` (§10.2).
    static let configurationFields: Set<String> = [
        "FORM_TYPE", "muc#roomconfig_roomname", "muc#roomconfig_roomdesc", "muc#roomconfig_lang",
        "muc#roomconfig_persistentroom", "muc#roomconfig_publicroom", "muc#roomconfig_roomsecret",
        "muc#roomconfig_passwordprotectedroom", "muc#roomconfig_membersonly", "muc#roomconfig_maxusers",
        "muc#roominfo_meetingId", "muc#roomconfig_changesubject", "muc#roomconfig_moderatedroom",
        "muc#roomconfig_whois", "muc#roomconfig_historylength", "muc#roomconfig_defaulthistorymessages",
        "muc#roomconfig_presencebroadcast", "muc#roomconfig_allowpm", "muc#roomconfig_allowinvites",
        "{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites", "{xmpp:prosody.im}muc#allow_modpm",
        // Jitsi's breakout rooms list these on a breakout room's form; a submission echoing them changes nothing.
        "muc#roominfo_isbreakout", "muc#roominfo_breakout_main_room",
    ]

    mutating func ownerIQ(_ iq: Stanza, from: JID, query: XMLElement) -> [Stanza] {
        guard self.affiliation(of: from) == .owner else {
            return self.errorReply(iq, StanzaError(.forbidden, text: "Only owners may configure this room"))
        }
        if iq.type == "get" {
            var result = XMLElement(name: "query", namespace: Namespace.mucOwner)
            result.append(self.configurationForm().element)
            return [iq.resultReply(result)]
        }
        if let destroy = query.child("destroy", namespace: Namespace.mucOwner) {
            return self.destroy(
                reason: destroy.child("reason", namespace: Namespace.mucOwner)?.text,
                alternate: destroy[attribute: "jid"]
            ) + [iq.resultReply()]
        }
        guard let x = query.child("x", namespace: Namespace.dataForms), let form = DataForm(x) else {
            // An empty submission accepts the defaults (instant room, §10.1.2).
            if query.elements.isEmpty {
                self.locked = false
                return [iq.resultReply()]
            }
            return self.errorReply(iq, StanzaError(.badRequest, text: "Expected a data form"))
        }
        switch form.type {
        case .cancel:
            return [iq.resultReply()]
        case .submit:
            break
        case .form, .result:
            return self.errorReply(iq, StanzaError(.badRequest, text: "Submit the form with type='submit'"))
        }
        if let formType = form.formType, formType != Namespace.mucRoomConfig {
            return self.errorReply(iq, StanzaError(.notAcceptable, text: "Unknown FORM_TYPE"))
        }
        if let unknown = form.fields.compactMap(\.variable).first(where: { !RoomState.configurationFields.contains($0) }
        ) {
            return self.errorReply(iq, StanzaError(.notAcceptable, text: "Unknown field \(unknown.prefix(64))"))
        }
        var next = self.configuration
        if let v = form["muc#roomconfig_roomname"] { next.name = v.value ?? "" }
        if let v = form["muc#roomconfig_roomdesc"] { next.description = v.value ?? "" }
        if let v = form["muc#roomconfig_lang"] { next.language = v.value ?? "" }
        if let v = form["muc#roomconfig_whois"] {
            guard let whois = v.value.flatMap(RoomConfiguration.WhoIs.init(rawValue:)) else {
                return self.errorReply(iq, StanzaError(.notAcceptable, text: "whois must be moderators or anyone"))
            }
            next.whois = whois
        }
        if let v = form["muc#roomconfig_roomsecret"] { next.password = (v.value ?? "").isEmpty ? nil : v.value }
        if form["muc#roomconfig_passwordprotectedroom"]?.boolValue == false { next.password = nil }
        if let v = form["muc#roomconfig_membersonly"] {
            guard let b = v.boolValue else {
                return self.errorReply(iq, StanzaError(.notAcceptable, text: "membersonly must be a boolean"))
            }
            next.membersOnly = b
        }
        if let v = form["muc#roomconfig_maxusers"] {
            switch v.value {
            case nil, "", "none", "0": next.maxOccupants = nil
            case let text?:
                guard let n = Int(text), n > 0 else {
                    return self.errorReply(iq, StanzaError(.notAcceptable, text: "maxusers must be a positive number"))
                }
                next.maxOccupants = n
            }
        }
        if let v = form["muc#roomconfig_changesubject"], let b = v.boolValue { next.changeSubject = b }
        if let v = form["muc#roomconfig_publicroom"], let b = v.boolValue { next.publicRoom = b }
        if let v = form["muc#roomconfig_historylength"], let n = v.value.flatMap({ Int($0) }) {
            next.historyLength = max(0, min(n, self.service.maxHistoryLength))
        }
        if let v = form["muc#roomconfig_allowpm"], let value = v.value { next.allowPrivateMessagesFrom = value }
        // Jitsi's meeting_id: admins may set the meeting id; moderatedroom and presencebroadcast are ignored.
        if let v = form["muc#roominfo_meetingId"], let value = v.value, !value.isEmpty, value != self.meetingID,
            !self.service.isAdmin(from)
        {
            return self.errorReply(iq, StanzaError(.forbidden, text: "Only admins may set the meeting id"))
        }
        let changed = next != self.configuration
        let membersOnlyChanged = next.membersOnly != self.configuration.membersOnly
        let becameNonAnonymous = next.whois == .anyone && self.configuration.whois != .anyone
        self.configuration = next
        if self.history.count > next.historyLength { self.history.removeFirst(self.history.count - next.historyLength) }
        self.locked = false
        var out = [iq.resultReply()]
        // §10.2.1: a change is announced to every occupant with status 104 (lib-jitsi-meet then reads the room's
        // disco#info again, which is how the lock icon follows a password change), with 172 when the room has
        // become non-anonymous. A submission that changes nothing (Jicofo's on every join) announces nothing.
        if changed {
            out += self.configurationChangeNotices(statuses: becameNonAnonymous ? [104, 172] : [104])
        }
        if membersOnlyChanged {
            out += self.lobbyAfterMembersOnlyChange(by: from)
            if next.membersOnly { out += self.removeNonMembers() }
        }
        return out
    }

    /// One groupchat message from the room to every occupant session carrying `statuses` (§10.2.1).
    func configurationChangeNotices(statuses: [Int]) -> [Stanza] {
        var m = XMLElement("message", ns: Namespace.client, [("type", "groupchat")])
        var x = XMLElement(name: "x", namespace: Namespace.mucUser)
        for code in statuses { x.append(XMLElement("status", ns: Namespace.mucUser, [("code", String(code))])) }
        m.append(x)
        var template = Stanza(unchecked: m, kind: .message, from: self.jid, to: nil)
        template.prepareBroadcast()
        return self.allSessions.map { template.addressed(to: $0) }
    }

    /// Destroys the room (§10.9): every occupant gets unavailable with `<destroy>` and the reason.
    mutating func destroy(reason: String?, alternate: String?) -> [Stanza] {
        var out: [Stanza] = []
        for nick in self.order {
            guard let occupant = self.occupants[nick] else { continue }
            for session in occupant.sessions {
                var element = XMLElement("presence", ns: Namespace.client, [("type", "unavailable")])
                var x = XMLElement(name: "x", namespace: Namespace.mucUser)
                x.append(XMLElement("item", ns: Namespace.mucUser, [("affiliation", "none"), ("role", "none")]))
                var destroy = XMLElement("destroy", ns: Namespace.mucUser, [("jid", alternate)])
                if let reason {
                    var r = XMLElement(name: "reason", namespace: Namespace.mucUser)
                    r.append(text: reason)
                    destroy.append(r)
                }
                x.append(destroy)
                element.append(x)
                out.append(Stanza(unchecked: element, kind: .presence, from: self.occupantJID(nick), to: session))
            }
        }
        self.occupants.removeAll()
        self.order.removeAll()
        self.nickByRealJID.removeAll()
        self.queuedJoins.removeAll()
        self.destroyed = true
        self.destroyReason = reason
        return out + self.react(to: .roomDestroyed)
    }

    /// `muc#roomconfig_maxusers` as the form shows it: the limit in force, so a room under the service's cap
    /// shows the cap, not a "none" the owner cannot have.
    var maxUsersValue: String {
        self.configuration.maxOccupants == nil && self.service.maxOccupants == nil
            ? "none" : String(self.effectiveMaxOccupants)
    }

    /// The choices offered for `muc#roomconfig_maxusers`: "No limit" only without a service cap, and no value above
    /// the cap; the value in force is always one of them.
    var maxUsersOptions: [(label: String, value: String)] {
        let cap = self.service.maxOccupants
        var values = [5, 10, 20, 50, 100, 500, 1000].filter { value in cap.map { value <= $0 } ?? true }
        if let cap, !values.contains(cap) { values.append(cap) }
        let current = self.effectiveMaxOccupants
        if self.maxUsersValue != "none", !values.contains(current) { values.append(current) }
        let numbers = values.sorted().map { (label: String($0), value: String($0)) }
        return cap == nil ? [(label: "No limit", value: "none")] + numbers : numbers
    }

    /// The owner form, shaped like Prosody's (the fixture `owner-config-form-result.xml`), with Jitsi's
    /// meeting id and Parley's `maxusers` and `passwordprotectedroom`.
    func configurationForm() -> DataForm {
        let c = self.configuration
        func bool(_ b: Bool) -> [String] { [b ? "1" : "0"] }
        return DataForm(
            type: .form,
            title: "Configuration for \(self.jid)",
            instructions: "Complete and submit this form to configure the room.",
            fields: [
                .init("FORM_TYPE", type: "hidden", values: [Namespace.mucRoomConfig]),
                .init(nil, type: "fixed", values: ["Room information"]),
                .init(
                    "muc#roomconfig_roomname",
                    type: "text-single",
                    label: "Title",
                    values: c.name.isEmpty ? [] : [c.name]
                ),
                .init(
                    "muc#roomconfig_roomdesc",
                    type: "text-single",
                    label: "Description",
                    description: "A brief description of the room",
                    values: [c.description]
                ),
                .init(
                    "muc#roomconfig_lang",
                    type: "text-single",
                    label: "Language tag for room (e.g. 'en', 'de', 'fr' etc.)",
                    values: [c.language]
                ),
                .init(
                    "muc#roomconfig_persistentroom",
                    type: "boolean",
                    label: "Persistent (room should remain even when it is empty)",
                    values: bool(false)
                ),
                .init(
                    "muc#roomconfig_publicroom",
                    type: "boolean",
                    label: "Include room information in public lists",
                    values: bool(c.publicRoom)
                ),
                .init(nil, type: "fixed", values: ["Access to the room"]),
                .init("muc#roomconfig_roomsecret", type: "text-private", label: "Password", values: [c.password ?? ""]),
                .init(
                    "muc#roomconfig_passwordprotectedroom",
                    type: "boolean",
                    label: "Password protected",
                    values: bool(c.password != nil)
                ),
                .init(
                    "muc#roomconfig_membersonly",
                    type: "boolean",
                    label: "Only allow members to join",
                    values: bool(c.membersOnly)
                ),
                .init(
                    "muc#roomconfig_maxusers",
                    type: "list-single",
                    label: "Maximum number of occupants",
                    values: [self.maxUsersValue],
                    options: self.maxUsersOptions
                ),
                .init(
                    "muc#roominfo_meetingId",
                    type: "text-single",
                    label: "The meeting unique id.",
                    values: [self.meetingID]
                ),
            ] + self.breakoutFormFields + [
                .init(nil, type: "fixed", values: ["Permissions in the room"]),
                .init(
                    "muc#roomconfig_changesubject",
                    type: "boolean",
                    label: "Allow anyone to set the room's subject",
                    values: bool(c.changeSubject)
                ),
                .init(
                    "muc#roomconfig_moderatedroom",
                    type: "boolean",
                    label: "Moderated (require permission to speak)",
                    values: bool(false)
                ),
                .init(
                    "muc#roomconfig_whois",
                    type: "list-single",
                    label: "Addresses (JIDs) of room occupants may be viewed by:",
                    values: [c.whois.rawValue],
                    options: [(label: "Moderators only", value: "moderators"), (label: "Anyone", value: "anyone")]
                ),
                .init(nil, type: "fixed", values: ["Other options"]),
                .init(
                    "muc#roomconfig_historylength",
                    type: "text-single",
                    label: "Maximum number of history messages returned by room",
                    values: [String(c.historyLength)]
                ),
                .init(
                    "muc#roomconfig_allowpm",
                    type: "list-single",
                    label: "Allow private messages from",
                    values: [c.allowPrivateMessagesFrom],
                    options: [
                        (label: "Everyone", value: "visitor"), (label: "Participants", value: "participant"),
                        (label: "Moderators", value: "moderator"), (label: "No one", value: "none"),
                    ]
                ),
            ]
        )
    }

    /// A room made members-only removes those who are not members (XEP-0045 §9.3 and §10.2: status 322), as
    /// Prosody does. lib-jitsi-meet makes the occupants members before it turns the lobby on, so in a Jitsi
    /// meeting only those who slipped in meanwhile leave.
    private mutating func removeNonMembers() -> [Stanza] {
        var out: [Stanza] = []
        for nick in self.order {
            guard let occupant = self.occupants[nick], self.affiliation(of: occupant.bareJID) < .member,
                !self.service.isAdmin(occupant.bareJID)
            else { continue }
            out += self.remove(nick, statuses: [322])
        }
        return out
    }
}
