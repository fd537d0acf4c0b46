import ParleyCore
import ParleyXML

/// Presence: entering (XEP-0045 §7.2), updates (§7.7), nick changes (§7.6), leaving (§7.14).
extension RoomState {
    mutating func handlePresence(_ presence: Stanza) -> [Stanza] {
        guard let from = presence.from, let to = presence.to else { return [] }
        guard let nick = to.resourcepart else {
            guard presence.type == nil else { return [] }
            return self.joinError(presence, StanzaError(.jidMalformed, text: "Join with a nick: room@service/nick"))
        }
        switch presence.type {
        case nil:
            if let current = self.nickByRealJID[from] {
                return current == nick
                    ? self.update(presence, nick: nick) : self.changeNick(presence, from: from, to: nick)
            }
            return self.join(presence, from: from, nick: nick)
        case "unavailable", "error":
            if presence.type == "unavailable" { self.noteSwitchingRoom(presence, from: from) }
            return self.leave(from, status: presence.type == "unavailable" ? presence.body.children : [])
        default:
            return []
        }
    }

    // MARK: Entering

    mutating func join(_ presence: Stanza, from: JID, nick: String) -> [Stanza] {
        // The bare JID once: making it from a full JID allocates and hashes its parts.
        let bare = from.bare
        let isAdmin = self.service.isAdmin(bare)
        let request = JoinRequest(
            presence: presence,
            from: from,
            nick: nick,
            isAdmin: isAdmin,
            affiliation: self.affiliation(ofBare: bare, isAdmin: isAdmin)
        )
        switch self.joinPolicies.evaluate(request, in: self) {
        case .admit: break
        case .admitAsMember:
            if self.affiliation(ofBare: bare, isAdmin: isAdmin) < .member { self.affiliations[bare] = .member }
        case .refuse(let error): return self.joinError(presence, error)
        case .hold:
            self.queuedJoins.append(presence)
            return []
        }
        // §10.1.1: whoever creates the room is its owner. A room made again after it emptied is a new room, so
        // its first joiner owns it too (nothing of the old room's affiliations is kept: it was a different value).
        // A breakout room has no owner of its own: its affiliations are its main room's (Jitsi's breakout rooms).
        if self.isNew, self.occupants.isEmpty, self.breakoutOf == nil { self.affiliations[bare] = .owner }
        let affiliation = self.affiliation(ofBare: bare, isAdmin: isAdmin)

        let payload = RoomState.payload(of: presence)
        var out: [Stanza] = []
        if var existing = self.occupants[nick] {
            // Another session of the same occupant (same bare JID, same nick).
            existing.sessions.append(from)
            existing.payload = payload
            self.occupants[nick] = existing
            self.nickByRealJID[from] = nick
            let showsJID = self.showsRealJID(to: from)
            for other in self.order where other != nick {
                if let template = self.cachedPresence(of: other, showingJID: showsJID) {
                    out.append(template.addressed(to: from))
                }
            }
            out.append(self.presence(of: existing, to: from, statuses: self.selfStatuses(created: false)))
            return out
        }
        guard let occupantJID = presence.to, occupantJID.resourcepart == nick else { return [] }
        let occupant = Occupant(
            nick: nick,
            jid: occupantJID,
            bareJID: bare,
            session: from,
            role: affiliation.defaultRole,
            payload: payload
        )
        // §7.2.3: existing occupants' presence to the newcomer first…
        let showsJID = self.showsRealJID(to: from)
        for other in self.order {
            if let template = self.cachedPresence(of: other, showingJID: showsJID) {
                out.append(template.addressed(to: from))
            }
        }
        // …then the newcomer's presence to everyone else…
        let broadcast = self.broadcastKeepingTemplates(occupant)
        out += broadcast.stanzas
        self.occupants[nick] = occupant
        self.order.append(nick)
        self.nickByRealJID[from] = nick
        self.rememberPresence(of: nick, from: broadcast)
        // …then self-presence (110, 100 for non-anonymous rooms, 201 on creation), history, subject.
        let created = self.isNew
        self.isNew = false
        let selfShowsJID = self.showsRealJID(to: from)
        out.append(
            self.selfPresence(
                of: occupant,
                to: from,
                showJID: selfShowsJID,
                type: nil,
                statuses: [],
                selfStatuses: self.selfStatuses(created: created),
                template: selfShowsJID ? broadcast.withJID : broadcast.withoutJID
            )
        )
        out += self.historyDeliveries(to: from)
        out.append(self.joinerSubjectMessage(to: from))
        out += self.react(to: .occupantJoined(nick: nick))
        if nick == self.service.focusNick, self.service.focusLock, !self.focusJoined {
            self.focusJoined = true
            let held = self.queuedJoins
            self.queuedJoins.removeAll()
            for queued in held {
                guard let qFrom = queued.from, let qNick = queued.to?.resourcepart else { continue }
                out += self.join(queued, from: qFrom, nick: qNick)
            }
        }
        return out
    }

    private func selfStatuses(created: Bool) -> [Int] {
        var codes = [110]
        if self.configuration.whois == .anyone { codes.append(100) }
        if created { codes.append(201) }
        return codes
    }

    /// A join error: presence of type error from the occupant JID asked for, with the join's id (§7.2.6).
    func joinError(_ presence: Stanza, _ error: StanzaError) -> [Stanza] {
        guard presence.from != nil, presence.to != nil else { return [] }
        return [RoomState.presenceError(presence, error)]
    }

    // MARK: Updates and nick changes

    mutating func update(_ presence: Stanza, nick: String) -> [Stanza] {
        guard var occupant = self.occupants[nick] else { return [] }
        occupant.payload = RoomState.payload(of: presence)
        self.occupants[nick] = occupant
        let broadcast = self.broadcastKeepingTemplates(occupant)
        self.rememberPresence(of: nick, from: broadcast)
        return broadcast.stanzas + self.startMutedShim(presence, nick: nick)
    }

    mutating func changeNick(_ presence: Stanza, from: JID, to newNick: String) -> [Stanza] {
        guard let oldNick = self.nickByRealJID[from], let old = self.occupants[oldNick] else { return [] }
        if old.sessions.count > 1 {
            return self.errorReply(
                presence,
                StanzaError(.notAcceptable, text: "Nick changes are not supported with several sessions")
            )
        }
        if self.occupants[newNick] != nil || newNick.utf8.count > self.service.maxNickBytes {
            return self.joinError(presence, StanzaError(.conflict, text: "That nickname is already in use"))
        }
        var out: [Stanza] = []
        for session in self.allSessions {
            var unavailable = self.presence(
                of: old,
                to: session,
                type: "unavailable",
                statuses: session == from ? [303, 110] : [303]
            )
            unavailable.withElement { element in
                RoomState.addToUserX(&element) { x in
                    if var item = x.child("item", namespace: Namespace.mucUser) {
                        item[attribute: "nick"] = newNick
                        x.removeChildren { $0.name == "item" }
                        x.children.insert(.element(item), at: 0)
                    }
                }
            }
            out.append(unavailable)
        }
        guard let newJID = presence.to, newJID.resourcepart == newNick else { return [] }
        var renamed = Occupant(
            nick: newNick,
            jid: newJID,
            bareJID: old.bareJID,
            session: from,
            role: old.role,
            payload: RoomState.payload(of: presence)
        )
        renamed.sessions = old.sessions
        self.occupants[oldNick] = nil
        self.occupants[newNick] = renamed
        if let index = self.order.firstIndex(of: oldNick) { self.order[index] = newNick }
        self.nickByRealJID[from] = newNick
        out += self.broadcastPresence(of: renamed)
        return out
    }

    /// The occupant's current presence to every session in the room (self copies with 110).
    func broadcastPresence(of occupant: Occupant) -> [Stanza] {
        self.broadcast(occupant, selfStatuses: [110])
    }

    /// `occupant`'s presence to every session in the room, in join order: serialized once per variant (with
    /// or without the real JID), each recipient's copy only gets its `to`. The occupant's own sessions get
    /// `selfStatuses` added. One occupant lookup per recipient occupant; nothing per recipient session.
    func broadcast(
        _ occupant: Occupant,
        type: String? = nil,
        statuses: [Int] = [],
        selfStatuses: [Int] = [110]
    ) -> [Stanza] {
        self.broadcastKeepingTemplates(occupant, type: type, statuses: statuses, selfStatuses: selfStatuses).stanzas
    }

    /// What `broadcast` sends, and the serialized templates it made for others' copies, by variant.
    struct Broadcast {
        var stanzas: [Stanza]
        var withJID: Stanza?
        var withoutJID: Stanza?
    }

    /// `broadcast`, keeping the templates: an available presence without status codes is what later joiners get
    /// from the occupant's cache (`rememberPresence(of:from:)`).
    func broadcastKeepingTemplates(
        _ occupant: Occupant,
        type: String? = nil,
        statuses: [Int] = [],
        selfStatuses: [Int] = [110]
    ) -> Broadcast {
        var withJID: Stanza? = nil
        var withoutJID: Stanza? = nil
        var out: [Stanza] = []
        out.reserveCapacity(self.order.count + 1)
        let everyoneSeesJID = self.configuration.whois == .anyone
        for nick in self.order {
            guard let recipient = self.occupants[nick] else { continue }
            let showJID = everyoneSeesJID || recipient.role == .moderator
            for session in recipient.sessions {
                let template: Stanza
                if let cached = showJID ? withJID : withoutJID {
                    template = cached
                } else {
                    var made = self.presence(of: occupant, to: nil, showJID: showJID, type: type, statuses: statuses)
                    made.prepareBroadcast()
                    if showJID { withJID = made } else { withoutJID = made }
                    template = made
                }
                if occupant.sessions.contains(session) {
                    out.append(
                        self.selfPresence(
                            of: occupant,
                            to: session,
                            showJID: showJID,
                            type: type,
                            statuses: statuses,
                            selfStatuses: selfStatuses,
                            template: template
                        )
                    )
                    continue
                }
                out.append(template.addressed(to: session))
            }
        }
        return Broadcast(stanzas: out, withJID: withJID, withoutJID: withoutJID)
    }

    /// `occupant`'s presence to one of its own sessions: what others who see it the same way get (`template`), with
    /// `selfStatuses` after its `statuses` (§7.2.3: 110 and the rest). Its bytes are the template's with the status
    /// codes written in before `</x></presence>`, not a second serialization of the payload, which for a Jitsi
    /// presence took ~30,000 instructions; its element is the template's with the `<status/>` elements added to its
    /// `<x/>`, not built again. Without a serialized template it is built, and serialized when delivered.
    func selfPresence(
        of occupant: Occupant,
        to session: JID,
        showJID: Bool,
        type: String?,
        statuses: [Int],
        selfStatuses: [Int],
        template: Stanza?
    ) -> Stanza {
        guard !selfStatuses.isEmpty, let template, let bytes = template.serialized else {
            return self.presence(
                of: occupant,
                to: session,
                showJID: showJID,
                type: type,
                statuses: statuses + selfStatuses
            )
        }
        var stanza = template.addressed(to: session)
        stanza.withElement { element in
            RoomState.addToUserX(&element) { x in
                for code in selfStatuses {
                    x.append(XMLElement("status", ns: Namespace.mucUser, [("code", String(code))]))
                }
            }
        }
        var codes: [UInt8] = []
        for code in selfStatuses {
            codes.appendUTF8("<status code='")
            codes.appendUTF8(String(code))
            codes.appendUTF8("'/>")
        }
        if let spliced = bytes.inserting(codes, beforeClosing: RoomState.presenceClosing) {
            stanza.useSerialized(spliced)
        }
        return stanza
    }

    /// How `presence(of:…)`'s bytes end: its `<x/>` is its last child.
    static let presenceClosing: [UInt8] = Array("</x></presence>".utf8)

    /// Keeps the template a broadcast of `nick`'s available presence made as its cached presence, for the variant
    /// most joiners see, so the next joiner's copy (§7.2.3) is not built and serialized again. The key is the one
    /// `cachedPresence(of:for:)` would compute, so a changed role, affiliation or session still rebuilds.
    mutating func rememberPresence(of nick: String, from broadcast: Broadcast) {
        guard let occupant = self.occupants[nick] else { return }
        let showsJID = self.configuration.whois == .anyone
        guard let template = showsJID ? broadcast.withJID : broadcast.withoutJID else { return }
        let key = Occupant.PresenceKey(
            affiliation: self.affiliation(of: occupant.bareJID),
            role: occupant.role,
            showsJID: showsJID,
            primarySession: occupant.primarySession
        )
        self.occupants[nick]?.cachedPresence = (key, template)
    }

    /// An existing occupant's presence as a recipient will see it, from the occupant's cache. `showsJID` is
    /// `showsRealJID(to:)` of that recipient, which its caller works out once for every occupant it sends.
    mutating func cachedPresence(of nick: String, showingJID showsJID: Bool) -> Stanza? {
        guard let occupant = self.occupants[nick] else { return nil }
        let key = Occupant.PresenceKey(
            affiliation: self.affiliation(of: occupant.bareJID),
            role: occupant.role,
            showsJID: showsJID,
            primarySession: occupant.primarySession
        )
        if let cached = occupant.cachedPresence, cached.key == key { return cached.stanza }
        var template = self.presence(of: occupant, to: nil, showJID: key.showsJID)
        template.prepareBroadcast()
        self.occupants[nick]?.cachedPresence = (key, template)
        return template
    }

    func showsRealJID(to recipient: JID) -> Bool {
        self.configuration.whois == .anyone || self.occupant(of: recipient)?.role == .moderator
    }

    // MARK: Leaving

    mutating func leave(_ from: JID, status: [XMLNode]) -> [Stanza] {
        guard let nick = self.nickByRealJID[from], var occupant = self.occupants[nick] else {
            // A queued joiner who gives up before focus arrives.
            self.queuedJoins.removeAll { $0.from == from }
            return []
        }
        self.nickByRealJID[from] = nil
        let extra = status.filter {
            if case .element(let e) = $0 { return e.name == "status" && e.namespace == Namespace.client }
            return false
        }
        if occupant.sessions.count > 1 {
            occupant.sessions.removeAll { $0 == from }
            self.occupants[nick] = occupant
            var gone = occupant
            gone.role = .none
            gone.payload = extra
            return [self.presence(of: gone, to: from, type: "unavailable", statuses: [110])]
        }
        return self.remove(nick, statuses: [], extraPayload: extra)
    }

    /// Removes an occupant, telling everyone (itself with 110). Used for leaving, kicks and bans.
    mutating func remove(
        _ nick: String,
        statuses: [Int],
        extraPayload: [XMLNode] = [],
        actor: String? = nil,
        reason: String? = nil
    ) -> [Stanza] {
        guard var occupant = self.occupants[nick] else { return [] }
        var out = self.react(to: .occupantLeaving(nick: nick))
        occupant.role = .none
        occupant.payload = extraPayload
        if actor == nil && reason == nil {
            out += self.broadcast(occupant, type: "unavailable", statuses: statuses)
        } else {
            for session in self.allSessions {
                let isSelf = occupant.sessions.contains(session)
                var stanza = self.presence(
                    of: occupant,
                    to: session,
                    type: "unavailable",
                    statuses: isSelf ? statuses + [110] : statuses
                )
                do {
                    stanza.withElement { element in
                        RoomState.addToUserX(&element) { x in
                            guard var item = x.child("item", namespace: Namespace.mucUser) else { return }
                            if let actor { item.append(XMLElement("actor", ns: Namespace.mucUser, [("nick", actor)])) }
                            if let reason {
                                var r = XMLElement(name: "reason", namespace: Namespace.mucUser)
                                r.append(text: reason)
                                item.append(r)
                            }
                            x.removeChildren { $0.name == "item" }
                            x.children.insert(.element(item), at: 0)
                        }
                    }
                }
                out.append(stanza)
            }
        }
        for session in occupant.sessions { self.nickByRealJID[session] = nil }
        self.occupants[nick] = nil
        self.order.removeAll { $0 == nick }
        out += self.react(to: .occupantLeft(nick: nick))
        // A main room with breakout rooms stays while they are in use (Jitsi makes it persistent); it closes
        // after `BreakoutRooms.closeDelay` once everyone has left every room.
        if self.occupants.isEmpty, !self.breakoutRoomsState.keepsMainRoom {
            self.destroyed = true
            out += self.react(to: .roomDestroyed)
        }
        return out
    }

    // MARK: Building presence

    /// `occupant`'s presence as `recipient` sees it: the stored payload plus `<x xmlns='…muc#user'>`
    /// with the item (real JID only when the room is non-anonymous or the recipient is a moderator).
    func presence(
        of occupant: Occupant,
        to recipient: JID?,
        showJID: Bool? = nil,
        type: String? = nil,
        statuses: [Int] = []
    ) -> Stanza {
        var element = XMLElement(name: "presence", namespace: Namespace.client)
        if let type { element[attribute: "type"] = type }
        element.children = occupant.payload
        var x = XMLElement(name: "x", namespace: Namespace.mucUser)
        var item = XMLElement(name: "item", namespace: Namespace.mucUser)
        item[attribute: "affiliation"] = self.affiliation(of: occupant.bareJID).rawValue
        item[attribute: "role"] = occupant.role.rawValue
        if showJID ?? recipient.map({ self.showsRealJID(to: $0) }) ?? false {
            item[attribute: "jid"] = occupant.primarySession.description
        }
        x.append(item)
        for code in statuses { x.append(XMLElement("status", ns: Namespace.mucUser, [("code", String(code))])) }
        element.append(x)
        return Stanza(unchecked: element, kind: .presence, from: occupant.jid, to: recipient)
    }

    /// The presence children kept for broadcast: everything but MUC's own `<x/>` elements.
    static func payload(of presence: Stanza) -> [XMLNode] {
        presence.body.children.filter { node in
            if case .element(let e) = node {
                return !(e.name == "x" && (e.namespace == Namespace.muc || e.namespace == Namespace.mucUser))
            }
            if case .text(let t) = node { return !t.allSatisfy(\.isWhitespace) }
            return true
        }
    }

    static func addToUserX(_ element: inout XMLElement, _ body: (inout XMLElement) -> Void) {
        guard
            let index = element.children.lastIndex(where: {
                if case .element(let e) = $0 { return e.name == "x" && e.namespace == Namespace.mucUser }
                return false
            }), case .element(var x) = element.children[index]
        else { return }
        body(&x)
        element.children[index] = .element(x)
    }
}
