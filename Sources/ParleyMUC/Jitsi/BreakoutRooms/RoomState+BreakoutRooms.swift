import Foundation
import ParleyCore
import ParleyXML

/// Jitsi's breakout rooms (`mod_muc_breakout_rooms`, lib-jitsi-meet's `BreakoutRooms`), from the main room's side:
/// - a moderator of the main room or of one of its breakout rooms adds, renames and removes breakout rooms and asks
///   participants to move (`breakoutRooms(_:from:)`); a removed room is destroyed with the main room as the
///   alternate venue ("Breakout room removed."), which sends its occupants back;
/// - the breakout domain's stanzas are handled here (`breakoutStanza`): only listed rooms exist, only admins (the
///   focus) create them, and a breakout room takes its affiliations, members-only state, lobby and room-name
///   verdict from the main room;
/// - every occupant of the main room and its breakout rooms but the focus gets the room list with its participants
///   when it changes, at most every 0.3 s (`RoomTimer.breakoutRoomsUpdate`);
/// - once it has breakout rooms the main room stays while any room is in use, and closes 5 s after everyone has
///   left every room ("All occupants left."); its end destroys its breakout rooms.
extension RoomState {
    /// The main room's JID when this room is a breakout room.
    public var breakoutMainRoom: JID? { self.breakoutOf?.jid }

    private var breakoutComponent: JID? { self.service.breakoutRoomsDomain.flatMap { try? JID($0) } }

    /// The address clients know `jid` by: a tenant's room on this service, `[acme]standup@muc.meet.jitsi[/nick]`, as
    /// `standup@muc.acme.meet.jitsi[/nick]` when the service maps tenants (Jitsi's `internal_room_jid_match_rewrite`,
    /// which the module applies to the main room's addresses); any other address as it is.
    func clientAddress(_ jid: JID) -> JID {
        guard self.service.mapsTenantAddresses, jid.domainpart == self.service.domain, let localpart = jid.localpart,
            localpart.hasPrefix("["), let close = localpart.firstIndex(of: "]"),
            let dot = self.service.domain.firstIndex(of: ".")
        else { return jid }
        let tenant = localpart[localpart.index(after: localpart.startIndex)..<close]
        let room = localpart[localpart.index(after: close)...]
        guard !tenant.isEmpty, !room.isEmpty, !tenant.contains(".") else { return jid }
        let domain = self.service.domain
        let virtual = "\(domain[..<dot]).\(tenant)\(domain[dot...])"
        return (try? JID(localpart: String(room), domainpart: virtual, resourcepart: jid.resourcepart)) ?? jid
    }

    /// The focus (Jicofo), which Jitsi keeps out of room lists and counts.
    private func isBreakoutFocus(_ occupant: Occupant) -> Bool {
        self.service.isAdmin(occupant.bareJID) && occupant.bareJID.localpart == self.service.focusNick
    }

    // MARK: Commands

    /// A moderator's command, from a session of the main room or one of its breakout rooms: what it sends, or the
    /// error to answer it with (Jitsi's module drops refusals silently).
    public mutating func breakoutRooms(
        _ command: BreakoutRoomsCommand,
        from requester: JID,
        nowMillis: Int64 = 0
    ) -> Result<[Stanza], StanzaError> {
        self.clockMillis = nowMillis
        guard let component = self.breakoutComponent, let mainNode = self.jid.localpart, self.breakoutOf == nil else {
            return .failure(StanzaError(.serviceUnavailable, text: "Breakout rooms are off"))
        }
        guard let occupant = self.occupant(of: requester) ?? self.breakoutOccupant(of: requester) else {
            return .failure(StanzaError(.itemNotFound, text: "You are not in this meeting"))
        }
        guard occupant.role == .moderator else {
            return .failure(StanzaError(.forbidden, text: "Only moderators may manage breakout rooms"))
        }
        switch command.kind {
        case .add(let subject):
            guard self.breakoutRoomsState.listed.count < BreakoutRooms.maxRooms else {
                return .failure(
                    StanzaError(
                        .policyViolation,
                        text: "A meeting may have at most \(BreakoutRooms.maxRooms) breakout rooms"
                    )
                )
            }
            guard let name = BreakoutRoomName.make(mainRoom: mainNode) else {
                return .failure(
                    StanzaError(.policyViolation, text: "This meeting's name is too long for breakout rooms")
                )
            }
            self.breakoutRoomsState.listed.append(BreakoutRooms.Listed(name: name, subject: subject))
            self.breakoutRoomsState.counter += 1
            self.breakoutRoomsState.active = true
            self.breakoutRoomsState.updateDue = true
            return .success([])
        case .remove(let room):
            guard let index = self.listedBreakoutRoom(room, component: component) else {
                return .failure(StanzaError(.itemNotFound, text: "No such breakout room"))
            }
            let node = self.breakoutRoomsState.listed[index].name.node
            self.breakoutRoomsState.listed.remove(at: index)
            var out: [Stanza] = []
            if var live = self.breakoutRoomsState.rooms.removeValue(forKey: node) {
                out = live.destroy(
                    reason: BreakoutRoomsWire.removedReason,
                    alternate: self.clientAddress(self.jid).description
                )
            }
            self.breakoutRoomsState.updateDue = true
            if !self.anyoneInBreakoutFamily { self.breakoutRoomsState.closeDue = true }
            return .success(out)
        case .rename(let room, let subject):
            guard let index = self.listedBreakoutRoom(room, component: component) else {
                return .failure(StanzaError(.itemNotFound, text: "No such breakout room"))
            }
            self.breakoutRoomsState.listed[index].subject = subject
            let node = self.breakoutRoomsState.listed[index].name.node
            var out: [Stanza] = []
            if var live = self.breakoutRoomsState.rooms.removeValue(forKey: node) {
                out = live.setSubjectByRoom(subject)
                self.breakoutRoomsState.rooms[node] = live
            }
            self.breakoutRoomsState.updateDue = true
            return .success(out)
        case .moveToRoom(let participant, let room):
            guard
                room.bare == self.jid || room.bare == self.clientAddress(self.jid)
                    || self.listedBreakoutRoom(room, component: component) != nil
            else {
                return .failure(StanzaError(.itemNotFound, text: "No such breakout room"))
            }
            // Jitsi's module sends the request to any JID it is given; Parley only to a session in this meeting.
            guard self.hasSession(participant) || self.breakoutOccupant(of: participant) != nil else {
                return .failure(StanzaError(.itemNotFound, text: "No such participant in this meeting"))
            }
            let body = JSONValue.text(
                .object([
                    "type": .string(BreakoutRoomsWire.identityType),
                    "event": .string(BreakoutRoomsWire.moveToRoom),
                    "roomJid": .string(room.bare.description),
                ])
            )
            return .success([self.jsonMessage(body, to: participant, from: component)])
        }
    }

    /// The index of a listed breakout room of this main room, by its JID.
    private func listedBreakoutRoom(_ room: JID, component: JID) -> Int? {
        guard room.domainpart == component.domainpart, let node = room.localpart else { return nil }
        return self.breakoutRoomsState.index(of: node)
    }

    /// The occupant whose session `jid` is, in one of the breakout rooms.
    private func breakoutOccupant(of jid: JID) -> Occupant? {
        for room in self.breakoutRoomsState.rooms.values {
            if let occupant = room.occupant(of: jid) { return occupant }
        }
        return nil
    }

    /// Sets the subject as the room itself (Prosody's `set_subject(room.jid, …)`): every occupant gets it.
    mutating func setSubjectByRoom(_ text: String) -> [Stanza] {
        self.subject = (text, "")
        var template = self.subjectMessage(to: self.jid)
        template.to = nil
        template.prepareBroadcast()
        return self.allSessions.map { template.addressed(to: $0) }
    }

    // MARK: Stanzas to breakout rooms

    /// A stanza to one of this main room's breakout rooms (`<main>_<uuid>@breakout.meet.jitsi[/nick]`), handled by
    /// that room inside this one. `tokenModerator`: the sender's token makes it a moderator (recorded on the main
    /// room, whose affiliations the breakout rooms use).
    public mutating func breakoutStanza(_ stanza: Stanza, nowMillis: Int64, tokenModerator: Bool = false) -> [Stanza] {
        self.clockMillis = nowMillis
        guard let to = stanza.to, let from = stanza.from, let node = to.localpart,
            self.service.breakoutRoomsDomain == to.domainpart, self.breakoutOf == nil,
            let index = self.breakoutRoomsState.index(of: node)
        else { return Self.invalidBreakoutRoom(stanza) }
        let isJoin = stanza.kind == .presence && stanza.type == nil && to.resourcepart != nil
        var room: RoomState
        if let live = self.breakoutRoomsState.rooms.removeValue(forKey: node) {
            room = live
        } else {
            guard isJoin else {
                if stanza.isError || stanza.kind == .presence { return [] }
                return [stanza.errorReply(StanzaError(.itemNotFound, text: "This breakout room has not started"))]
            }
            // Jitsi's breakout MUC has restrict_room_creation: the focus creates the room, then participants join.
            if self.service.restrictRoomCreation, !self.service.isAdmin(from) {
                return [
                    RoomState.presenceError(
                        stanza,
                        StanzaError(.notAllowed, type: .cancel, text: "Room creation is restricted")
                    )
                ]
            }
            room = self.newBreakoutRoom(jid: to.bare, subject: self.breakoutRoomsState.listed[index].subject)
        }
        if isJoin, tokenModerator, !room.hasSession(from) { self.tokenModeratorJoining(from) }
        // What the breakout room takes from the main room (Jitsi overrides its get_affiliation and
        // get_members_only with the main room's).
        room.affiliations = self.affiliations
        room.configuration.membersOnly = self.configuration.membersOnly
        room.breakoutOf?.lobbyJID = self.configuration.membersOnly ? self.lobbyJID : nil
        room.breakoutOf?.nickHolder = nil
        if isJoin, let nick = to.resourcepart, !room.hasSession(from) {
            room.breakoutOf?.nickHolder = self.nickHolder(nick, excluding: node).map { (nick, $0) }
        }
        let out = room.handle(stanza, nowMillis: nowMillis)
        let joined = room.breakoutOf?.joined ?? false
        let left = room.breakoutOf?.left ?? false
        room.breakoutOf?.joined = false
        room.breakoutOf?.left = false
        if let switching = room.breakoutOf?.switching {
            room.breakoutOf?.switching = nil
            self.breakoutRoomsState.noteSwitching(switching.nick, switching.bareJID, at: nowMillis)
        }
        if isJoin, let nick = to.resourcepart, room.hasSession(from) { self.breakoutRoomsState.switching[nick] = nil }
        if !room.destroyed { self.breakoutRoomsState.rooms[node] = room }
        if joined || left { self.breakoutRoomsState.updateDue = true }
        if joined { self.breakoutRoomsState.closeDue = false }
        if left, !self.anyoneInBreakoutFamily { self.breakoutRoomsState.closeDue = true }
        return out
    }

    /// The answer to a stanza for a breakout room this main room does not list (Jitsi destroys such a room as it
    /// is created: "Breakout room is invalid."). A join gets `not-allowed`, which lib-jitsi-meet answers by going
    /// back to the main room.
    public static func invalidBreakoutRoom(_ stanza: Stanza) -> [Stanza] {
        if stanza.kind == .presence {
            guard stanza.type == nil, stanza.to?.resourcepart != nil else { return [] }
            return [
                RoomState.presenceError(
                    stanza,
                    StanzaError(.notAllowed, type: .cancel, text: BreakoutRoomsWire.invalidReason)
                )
            ]
        }
        if stanza.isError { return [] }
        return [stanza.errorReply(StanzaError(.itemNotFound, text: "No such breakout room"))]
    }

    /// A new breakout room: the breakout domain's settings (Jitsi's docker configuration: restricted creation, no
    /// locking, public JIDs), the main room's admins and room-name verdict, the listed name as its subject.
    private func newBreakoutRoom(jid: JID, subject: String?) -> RoomState {
        var service = MUCServiceConfiguration(domain: jid.domainpart)
        service.restrictRoomCreation = self.service.restrictRoomCreation
        service.roomLocking = false
        service.admins = self.service.admins
        service.focusNick = self.service.focusNick
        service.maxNickBytes = self.service.maxNickBytes
        service.maxHistoryLength = self.service.maxHistoryLength
        service.hardMaxOccupants = self.service.hardMaxOccupants
        service.passwordExempt = self.service.passwordExempt
        service.defaultRoom = self.service.defaultRoom
        var room = RoomState(
            jid: jid,
            service: service,
            meetingID: UUID().uuidString.lowercased(),
            createdMillis: self.clockMillis,
            iqSecret: self.iqSecret,
            nameRefusal: self.nameRefusal
        )
        room.configuration.password = nil
        room.breakoutOf = BreakoutRooms.MainRoomView(jid: self.jid, clientJID: self.clientAddress(self.jid))
        if let subject { room.subject = (subject, "") }
        return room
    }

    /// Who holds `nick` in the main room or a breakout room other than `node` (Jitsi's
    /// `check_for_existing_occupant_in_room`).
    private func nickHolder(_ nick: String, excluding node: String?) -> JID? {
        if let occupant = self.occupants[nick] { return occupant.bareJID }
        if let moving = self.breakoutRoomsState.switchingHolder(nick, at: self.clockMillis) { return moving }
        for (other, room) in self.breakoutRoomsState.rooms where other != node {
            if let occupant = room.occupants[nick] { return occupant.bareJID }
        }
        return nil
    }

    /// For `BreakoutRoomsNickPolicy`: who holds `nick` in another room of the same meeting.
    func nickHeldInOtherRooms(_ nick: String) -> JID? {
        if let view = self.breakoutOf {
            guard let holder = view.nickHolder, holder.nick == nick else { return nil }
            return holder.bareJID
        }
        for room in self.breakoutRoomsState.rooms.values {
            if let occupant = room.occupants[nick] { return occupant.bareJID }
        }
        return self.breakoutRoomsState.switchingHolder(nick, at: self.clockMillis)
    }

    /// An occupant leaving with `<status>switch_room</status>` (lib-jitsi-meet's `leave('switch_room')` when it moves
    /// between the main room and a breakout room) keeps its nick reserved in the meeting until it joins again
    /// (Jitsi's `muc-occupant-pre-leave` hooks).
    mutating func noteSwitchingRoom(_ presence: Stanza, from: JID) {
        guard self.service.breakoutRoomsDomain != nil || self.breakoutOf != nil,
            let status = presence.body.child("status", namespace: Namespace.client), status.text == "switch_room",
            let nick = self.nickByRealJID[from]
        else { return }
        if self.breakoutOf != nil {
            self.breakoutOf?.switching = (nick, from.bare)
        } else {
            self.breakoutRoomsState.noteSwitching(nick, from.bare, at: self.clockMillis)
        }
    }

    /// Whether anyone but the focus is in the main room or one of its breakout rooms.
    private var anyoneInBreakoutFamily: Bool {
        if self.occupants.values.contains(where: { !self.isBreakoutFocus($0) }) { return true }
        for room in self.breakoutRoomsState.rooms.values
        where room.occupants.values.contains(where: { !room.isBreakoutFocus($0) }) {
            return true
        }
        return false
    }

    // MARK: Reactions

    /// In the main room: someone coming or going sends the room list (once the meeting has breakout rooms) and
    /// starts or stops the close timer; the room's end destroys its breakout rooms. In a breakout room: tells the
    /// main room that someone came or went.
    mutating func breakoutRoomsReaction(to event: RoomEvent) -> [Stanza] {
        if case .occupantJoined(let nick) = event, self.breakoutOf == nil {
            self.breakoutRoomsState.switching[nick] = nil
        }
        if self.breakoutOf != nil {
            switch event {
            case .occupantJoined(let nick):
                if let occupant = self.occupants[nick], !self.isBreakoutFocus(occupant) {
                    self.breakoutOf?.joined = true
                }
            case .occupantLeft(let nick):
                if nick != self.service.focusNick { self.breakoutOf?.left = true }
            case .occupantLeaving, .affiliationChanged, .invited, .roomDestroyed:
                break
            }
            return []
        }
        guard self.breakoutRoomsState.active else { return [] }
        switch event {
        case .occupantJoined(let nick):
            guard let occupant = self.occupants[nick], !self.isBreakoutFocus(occupant) else { return [] }
            self.breakoutRoomsState.updateDue = true
            self.breakoutRoomsState.closeDue = false
            return []
        case .occupantLeft(let nick):
            guard nick != self.service.focusNick else { return [] }
            self.breakoutRoomsState.updateDue = true
            if !self.anyoneInBreakoutFamily { self.breakoutRoomsState.closeDue = true }
            return []
        case .roomDestroyed:
            return self.closeBreakoutRooms()
        case .occupantLeaving, .affiliationChanged, .invited:
            return []
        }
    }

    /// The main room's end: every breakout room is destroyed with the main room's reason (or "Breakout room
    /// removed.") and the main room as the alternate venue, and nothing of them is kept.
    private mutating func closeBreakoutRooms() -> [Stanza] {
        var out: [Stanza] = []
        let rooms = self.breakoutRoomsState.rooms
        self.breakoutRoomsState = BreakoutRooms()
        for node in rooms.keys.sorted() {
            guard var room = rooms[node] else { continue }
            out += room.destroy(
                reason: self.destroyReason ?? BreakoutRoomsWire.removedReason,
                alternate: self.clientAddress(self.jid).description
            )
        }
        return out
    }

    // MARK: Timers

    mutating func breakoutRoomsUpdateFired() -> [Stanza] {
        guard self.breakoutRoomsState.updateDue else { return [] }
        self.breakoutRoomsState.updateDue = false
        return self.breakoutRoomList()
    }

    mutating func breakoutRoomsCloseFired() -> [Stanza] {
        guard self.breakoutRoomsState.closeDue else { return [] }
        self.breakoutRoomsState.closeDue = false
        guard !self.anyoneInBreakoutFamily else { return [] }
        return self.destroy(reason: BreakoutRoomsWire.allLeftReason, alternate: nil)
    }

    /// `{"type":"breakout_rooms","event":"features/breakout-rooms/update","roomCounter":n,"rooms":{…}}` from the
    /// component to every occupant but the focus of the main room and its breakout rooms: each room by node with
    /// its id, JID, name and participants (by occupant JID: real JID, role, display name), the main room marked
    /// `isMainRoom`.
    func breakoutRoomList() -> [Stanza] {
        let mainJID = self.clientAddress(self.jid)
        guard let component = self.breakoutComponent, let mainNode = mainJID.localpart else { return [] }
        var rooms: [String: JSONValue] = [:]
        var main: [String: JSONValue] = [
            "isMainRoom": .bool(true), "id": .string(mainNode), "jid": .string(mainJID.description),
            "participants": self.breakoutParticipants(),
        ]
        if let subject = self.subject?.text { main["name"] = .string(subject) }
        rooms[mainNode] = .object(main)
        for listed in self.breakoutRoomsState.listed {
            let node = listed.name.node
            var entry: [String: JSONValue] = [
                "id": .string(node),
                "jid": .string("\(node)@\(component.domainpart)"),
                "participants": self.breakoutRoomsState.rooms[node]?.breakoutParticipants() ?? .object([:]),
            ]
            if let subject = listed.subject { entry["name"] = .string(subject) }
            rooms[node] = .object(entry)
        }
        let body = JSONValue.text(
            .object([
                "type": .string(BreakoutRoomsWire.identityType), "event": .string(BreakoutRoomsWire.update),
                "roomCounter": .number(Double(self.breakoutRoomsState.counter)), "rooms": .object(rooms),
            ])
        )
        var template = self.jsonMessage(body, to: component, from: component)
        template.to = nil
        template.prepareBroadcast()
        var out: [Stanza] = []
        for occupant in self.order.compactMap({ self.occupants[$0] }) where !self.isBreakoutFocus(occupant) {
            out.append(template.addressed(to: occupant.primarySession))
        }
        for listed in self.breakoutRoomsState.listed {
            guard let room = self.breakoutRoomsState.rooms[listed.name.node] else { continue }
            for occupant in room.order.compactMap({ room.occupants[$0] }) where !room.isBreakoutFocus(occupant) {
                out.append(template.addressed(to: occupant.primarySession))
            }
        }
        return out
    }

    /// This room's participants but the focus, by occupant JID.
    private func breakoutParticipants() -> JSONValue {
        var participants: [String: JSONValue] = [:]
        for occupant in self.occupants.values where !self.isBreakoutFocus(occupant) {
            var entry: [String: JSONValue] = [
                "jid": .string(occupant.primarySession.description), "role": .string(occupant.role.rawValue),
            ]
            if let name = Self.displayName(of: occupant) { entry["displayName"] = .string(name) }
            participants[self.clientAddress(occupant.jid).description] = .object(entry)
        }
        return .object(participants)
    }
}

extension RoomState {
    /// A breakout room's fields in its disco#info form and owner form (Jitsi's `muc-disco#info` and
    /// `muc-config-form` hooks): `muc#roominfo_isbreakout` and `muc#roominfo_breakout_main_room`, which lib-jitsi-meet
    /// and Jicofo read; none for other rooms.
    var breakoutFormFields: [DataForm.Field] {
        guard let main = self.breakoutOf?.clientJID else { return [] }
        return [
            .init("muc#roominfo_isbreakout", type: "boolean", label: "Is this a breakout room?", values: ["1"]),
            .init(
                "muc#roominfo_breakout_main_room",
                label: "The main room associated with this breakout room",
                values: [main.description]
            ),
        ]
    }
}
