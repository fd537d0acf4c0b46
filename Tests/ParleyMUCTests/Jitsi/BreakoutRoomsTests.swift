import Foundation
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let component = try! JID("breakout.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let carol = try! JID("e15c8a3f@meet.jitsi/r3")

private func presence(to: JID, from: JID, display: String? = nil, type: String? = nil, id: String? = nil) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    if let type { element[attribute: "type"] = type }
    if let id { element[attribute: "id"] = id }
    if type == nil { element.append(XMLElement(name: "x", namespace: Namespace.muc)) }
    if let display {
        var n = XMLElement(name: "nick", namespace: Namespace.nick)
        n.append(text: display)
        element.append(n)
    }
    return Stanza(unchecked: element, kind: .presence, from: from, to: to)
}

/// lib-jitsi-meet's `<breakout_rooms type=… …/>`, attributes as it sets them.
private func command(_ attributes: [(String, String?)]) throws -> BreakoutRoomsCommand {
    try BreakoutRoomsCommand(XMLElement("breakout_rooms", ns: Namespace.client, attributes))
}

/// A conference with focus, alice (owner, moderator) and bob (participant); breakout rooms on breakout.meet.jitsi.
private func conference() -> RoomState {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    s.breakoutRoomsDomain = "breakout.meet.jitsi"
    s.defaultRoom.whois = .anyone
    var state = RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
    _ = state.handle(presence(to: try! roomJID.with(resource: "focus"), from: focus))
    _ = state.handle(presence(to: try! roomJID.with(resource: "alice"), from: alice, display: "Alice"))
    _ = state.handle(presence(to: try! roomJID.with(resource: "bob"), from: bob, display: "Bob"))
    state.affiliations[alice.bare] = .owner
    state.occupants["alice"]?.role = .moderator
    return state
}

/// The conference with one breakout room "Room 1"; returns its JID.
private func withBreakoutRoom(_ state: inout RoomState, subject: String = "Room 1") throws -> JID {
    let before = Set(state.breakoutRoomsState.listed.map(\.name.node))
    _ = try state.breakoutRooms(command([("type", "features/breakout-rooms/add"), ("subject", subject)]), from: alice)
        .get()
    let node = try #require(state.breakoutRoomsState.listed.map(\.name.node).first { !before.contains($0) })
    return try JID("\(node)@breakout.meet.jitsi")
}

private func jsonMessages(_ out: [Stanza]) -> [(to: JID?, json: [String: Any])] {
    out.compactMap { s in
        guard s.kind == .message, s.from == component,
            let text = s.element.child("json-message", namespace: "http://jitsi.org/jitmeet")?.text,
            let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        return (s.to, json)
    }
}

private func errorText(_ s: Stanza?) -> String? {
    s?.element.child("error")?.child("text", namespace: Namespace.stanzaErrors)?.text
}

private func condition(_ s: Stanza?) -> String? {
    s?.element.child("error")?.elements.first { $0.namespace == Namespace.stanzaErrors && $0.name != "text" }?.name
}

/// Jitsi's breakout rooms (`mod_muc_breakout_rooms`) at the room.
@Suite struct BreakoutRoomsTests {
    @Test func aModeratorAddsARoomAndEveryoneButTheFocusGetsTheListWithParticipants() throws {
        var state = conference()
        #expect(state.wantedTimers.isEmpty)
        let breakout = try withBreakoutRoom(&state)
        #expect(breakout.localpart?.hasPrefix("weeklysync_") == true)
        #expect(state.wantedTimers == [.breakoutRoomsUpdate])
        let out = state.timerFired(.breakoutRoomsUpdate, nowMillis: 300)
        #expect(state.wantedTimers.isEmpty)
        let lists = jsonMessages(out)
        #expect(Set(lists.compactMap(\.to)) == [alice, bob])
        let json = try #require(lists.first?.json)
        #expect(json["type"] as? String == "breakout_rooms")
        #expect(json["event"] as? String == "features/breakout-rooms/update")
        #expect(json["roomCounter"] as? Int == 1)
        let rooms = try #require(json["rooms"] as? [String: [String: Any]])
        let main = try #require(rooms["weeklysync"])
        #expect(main["isMainRoom"] as? Bool == true)
        #expect(main["jid"] as? String == roomJID.description)
        let participants = try #require(main["participants"] as? [String: [String: Any]])
        #expect(participants.keys.sorted() == ["weeklysync@muc.meet.jitsi/alice", "weeklysync@muc.meet.jitsi/bob"])
        #expect(participants["weeklysync@muc.meet.jitsi/alice"]?["jid"] as? String == alice.description)
        #expect(participants["weeklysync@muc.meet.jitsi/alice"]?["role"] as? String == "moderator")
        #expect(participants["weeklysync@muc.meet.jitsi/bob"]?["displayName"] as? String == "Bob")
        let room = try #require(rooms[breakout.localpart ?? ""])
        #expect(room["name"] as? String == "Room 1")
        #expect(room["jid"] as? String == breakout.description)
        #expect(room["isMainRoom"] == nil)
        #expect((room["participants"] as? [String: Any])?.isEmpty == true)
    }

    @Test func participantsAndOutsidersAreRefused() throws {
        var state = conference()
        let add = try command([("type", "features/breakout-rooms/add"), ("subject", "x")])
        let byBob = state.breakoutRooms(add, from: bob)
        #expect(byBob.failureCondition == .forbidden)
        #expect(state.breakoutRooms(add, from: carol).failureCondition == .itemNotFound)
        #expect(state.breakoutRoomsState.listed.isEmpty)
        #expect(state.wantedTimers.isEmpty)
        // A room that is not one of this meeting's.
        let remove = try command([
            ("type", "features/breakout-rooms/remove"),
            ("breakoutRoomJid", "other_1b4e28ba-2fa1-11d2-883f-0016d3cca427@breakout.meet.jitsi"),
        ])
        #expect(state.breakoutRooms(remove, from: alice).failureCondition == .itemNotFound)
    }

    @Test func aModeratorInABreakoutRoomManagesThemAndTheirNumberIsBounded() throws {
        var state = conference()
        let breakout = try withBreakoutRoom(&state)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "focus"), from: focus), nowMillis: 1)
        // alice moves into the breakout room: she still manages the meeting's rooms from there; bob never does.
        _ = state.handle(presence(to: try roomJID.with(resource: "alice"), from: alice, type: "unavailable"))
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "alice"), from: alice), nowMillis: 2)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 2)
        _ = state.handle(presence(to: try roomJID.with(resource: "bob"), from: bob, type: "unavailable"))
        let add = try command([("type", "features/breakout-rooms/add")])
        #expect(state.breakoutRooms(add, from: bob).failureCondition == .forbidden)
        for _ in 1..<BreakoutRooms.maxRooms {
            _ = try state.breakoutRooms(add, from: alice).get()
        }
        #expect(state.breakoutRoomsState.listed.count == BreakoutRooms.maxRooms)
        #expect(state.breakoutRooms(add, from: alice).failureCondition == .policyViolation)
        #expect(state.breakoutRoomsState.counter == BreakoutRooms.maxRooms)
        // A room added without a subject has no name in the list (Jitsi's nil subject).
        let rooms = try #require(
            jsonMessages(state.timerFired(.breakoutRoomsUpdate, nowMillis: 3)).first?.json["rooms"]
                as? [String: [String: Any]]
        )
        #expect(rooms.count == BreakoutRooms.maxRooms + 1)
        let nameless = rooms.values.filter { $0["name"] == nil && $0["isMainRoom"] == nil }
        #expect(nameless.count == BreakoutRooms.maxRooms - 1)
    }

    @Test func malformedCommandsAreBadRequests() {
        let cases: [[(String, String?)]] = [
            [],
            [("type", "features/breakout-rooms/explode")],
            [("type", "features/breakout-rooms/remove")],
            [("type", "features/breakout-rooms/remove"), ("breakoutRoomJid", "a@b@c")],
            [("type", "features/breakout-rooms/rename"), ("breakoutRoomJid", "r@breakout.meet.jitsi")],
            [("type", "features/breakout-rooms/move-to-room"), ("roomJid", "r@breakout.meet.jitsi")],
        ]
        for attributes in cases {
            #expect(throws: StanzaError.self) { try command(attributes) }
            #expect((try? command(attributes)) == nil)
        }
        do {
            _ = try command([("type", "features/breakout-rooms/add"), ("subject", String(repeating: "x", count: 2000))])
            Issue.record("an overlong subject was accepted")
        } catch {
            #expect((error as? StanzaError)?.condition == .policyViolation)
        }
    }

    @Test func theFocusStartsABreakoutRoomWhichTakesItsAffiliationsFromTheMainRoom() throws {
        var state = conference()
        let breakout = try withBreakoutRoom(&state)
        // A participant cannot start it before the focus (restricted creation, as on Jitsi's breakout MUC).
        let early = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 1)
        #expect(condition(early.first) == "not-allowed")
        #expect(errorText(early.first) == "Room creation is restricted")
        let started = state.breakoutStanza(
            presence(to: try breakout.with(resource: "focus"), from: focus),
            nowMillis: 2
        )
        let selfPresence = try #require(started.first { $0.to == focus && $0.kind == .presence })
        let codes =
            selfPresence.element.child("x", namespace: Namespace.mucUser)?.elements.compactMap { $0[attribute: "code"] }
        #expect(codes?.contains("201") == true)
        // Its subject is the listed name.
        #expect(started.contains { $0.element.child("subject")?.text == "Room 1" })
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "alice"), from: alice), nowMillis: 3)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 4)
        let room = try #require(state.breakoutRoomsState.liveRooms[breakout.localpart ?? ""])
        #expect(room.occupants["alice"]?.role == .moderator, "an owner of the main room moderates here")
        #expect(room.occupants["bob"]?.role == .participant)
        #expect(room.breakoutMainRoom == roomJID)
        // Disco#info and the owner form say it is a breakout room of the main room.
        let form = try #require(room.discoInfo().child("x", namespace: Namespace.dataForms).flatMap(DataForm.init))
        #expect(form["muc#roominfo_isbreakout"]?.value == "1")
        #expect(form["muc#roominfo_breakout_main_room"]?.value == roomJID.description)
        #expect(room.configurationForm()["muc#roominfo_breakout_main_room"]?.value == roomJID.description)
        // The main room's form has neither.
        let mainForm = state.discoInfo().child("x", namespace: Namespace.dataForms).flatMap(DataForm.init)
        #expect(mainForm?["muc#roominfo_isbreakout"] == nil)
        // Joins and leaves send the list again.
        #expect(state.wantedTimers.contains(.breakoutRoomsUpdate))
        let lists = jsonMessages(state.timerFired(.breakoutRoomsUpdate, nowMillis: 5))
        #expect(Set(lists.compactMap(\.to)) == [alice, bob], "the focus is left out")
        let rooms = try #require(lists.first?.json["rooms"] as? [String: [String: Any]])
        let inBreakout = rooms[breakout.localpart ?? ""]?["participants"] as? [String: Any]
        #expect(inBreakout?.keys.sorted() == ["\(breakout)/alice", "\(breakout)/bob"])
    }

    @Test func roomsItDoesNotListAreInvalid() throws {
        var state = conference()
        _ = try withBreakoutRoom(&state)
        let unknown = try JID("weeklysync_1b4e28ba-2fa1-11d2-883f-0016d3cca427@breakout.meet.jitsi/focus")
        let out = state.breakoutStanza(presence(to: unknown, from: focus, id: "j1"), nowMillis: 1)
        #expect(condition(out.first) == "not-allowed")
        #expect(errorText(out.first) == "Breakout room is invalid.")
        #expect(out.first?.id == "j1")
        #expect(state.breakoutRoomsState.liveRooms.isEmpty)
    }

    @Test func renameRemoveAndMove() throws {
        var state = conference()
        let breakout = try withBreakoutRoom(&state)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "focus"), from: focus), nowMillis: 1)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 2)
        // Rename: the room's occupants get the new subject from the room.
        let renamed = try state.breakoutRooms(
            command([
                ("type", "features/breakout-rooms/rename"), ("breakoutRoomJid", breakout.description),
                ("subject", "Design"),
            ]),
            from: alice
        ).get()
        #expect(
            renamed.contains { $0.to == bob && $0.from == breakout && $0.element.child("subject")?.text == "Design" }
        )
        #expect(state.breakoutRoomsState.listed.first?.subject == "Design")
        // Move: the request goes to the participant's session only.
        let move = try state.breakoutRooms(
            command([
                ("type", "features/breakout-rooms/move-to-room"), ("participantJid", bob.description),
                ("roomJid", roomJID.description),
            ]),
            from: alice
        ).get()
        let request = try #require(jsonMessages(move).first)
        #expect(move.count == 1 && request.to == bob)
        #expect(request.json["event"] as? String == "features/breakout-rooms/move-to-room")
        #expect(request.json["roomJid"] as? String == roomJID.description)
        let stranger = state.breakoutRooms(
            try command([
                ("type", "features/breakout-rooms/move-to-room"), ("participantJid", carol.description),
                ("roomJid", breakout.description),
            ]),
            from: alice
        )
        #expect(stranger.failureCondition == .itemNotFound)
        // Remove: those in it are sent back to the main room.
        let removed = try state.breakoutRooms(
            command([("type", "features/breakout-rooms/remove"), ("breakoutRoomJid", breakout.description)]),
            from: alice
        ).get()
        let destroy = try #require(
            removed.first { $0.to == bob }?.element.child("x", namespace: Namespace.mucUser)?.child(
                "destroy",
                namespace: Namespace.mucUser
            )
        )
        #expect(destroy[attribute: "jid"] == roomJID.description)
        #expect(destroy.child("reason", namespace: Namespace.mucUser)?.text == "Breakout room removed.")
        #expect(state.breakoutRoomsState.listed.isEmpty && state.breakoutRoomsState.liveRooms.isEmpty)
        // A stanza for it now is refused.
        let late = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 3)
        #expect(errorText(late.first) == "Breakout room is invalid.")
    }

    @Test func theMainRoomStaysWhileItsRoomsAreInUseAndClosesWhenAllLeft() throws {
        var state = conference()
        let breakout = try withBreakoutRoom(&state)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "focus"), from: focus), nowMillis: 1)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 2)
        // Everyone leaves the main room (the focus too): it stays, persistent.
        for (nick, jid) in [("bob", bob), ("alice", alice), ("focus", focus)] {
            _ = state.handle(presence(to: try roomJID.with(resource: nick), from: jid, type: "unavailable"))
        }
        #expect(state.occupants.isEmpty && !state.destroyed)
        #expect(!state.wantedTimers.contains(.breakoutRoomsClose), "bob is in the breakout room")
        // bob leaves the breakout room: nobody is left anywhere, the close timer starts.
        _ = state.breakoutStanza(
            presence(to: try breakout.with(resource: "bob"), from: bob, type: "unavailable"),
            nowMillis: 3
        )
        #expect(state.wantedTimers.contains(.breakoutRoomsClose))
        // Someone joining stops it.
        _ = state.handle(presence(to: try roomJID.with(resource: "bob"), from: bob))
        #expect(!state.wantedTimers.contains(.breakoutRoomsClose))
        #expect(state.timerFired(.breakoutRoomsClose, nowMillis: 4).isEmpty && !state.destroyed)
        _ = state.handle(presence(to: try roomJID.with(resource: "bob"), from: bob, type: "unavailable"))
        #expect(state.wantedTimers.contains(.breakoutRoomsClose))
        // It runs out: the main room closes, and with it the breakout room the focus is still in.
        let closed = state.timerFired(.breakoutRoomsClose, nowMillis: 5005)
        #expect(state.destroyed)
        let destroy = closed.first { $0.to == focus }?.element.child("x", namespace: Namespace.mucUser)?.child(
            "destroy",
            namespace: Namespace.mucUser
        )
        #expect(destroy?.child("reason", namespace: Namespace.mucUser)?.text == "All occupants left.")
        #expect(state.breakoutRoomsState.liveRooms.isEmpty && state.breakoutRoomsState.listed.isEmpty)
        #expect(state.wantedTimers.isEmpty)
    }

    @Test func theMainRoomsEndClosesItsBreakoutRooms() throws {
        var state = conference()
        let breakout = try withBreakoutRoom(&state)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "focus"), from: focus), nowMillis: 1)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 2)
        let out = try state.endConference(by: alice).get()
        let destroy = try #require(
            out.first { $0.to == bob && $0.from == (try? breakout.with(resource: "bob")) }?.element.child(
                "x",
                namespace: Namespace.mucUser
            )?.child("destroy", namespace: Namespace.mucUser)
        )
        #expect(destroy.child("reason", namespace: Namespace.mucUser)?.text == RoomState.endConferenceReason)
        #expect(state.destroyed && state.breakoutRoomsState.liveRooms.isEmpty)
        #expect(state.wantedTimers.isEmpty)
    }

    @Test func aNickHeldInAnotherRoomOfTheMeetingIsAConflict() throws {
        var state = conference()
        let breakout = try withBreakoutRoom(&state)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "focus"), from: focus), nowMillis: 1)
        // carol takes bob's nick in the breakout room while bob is in the main room.
        let taken = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: carol), nowMillis: 2)
        #expect(condition(taken.first) == "conflict")
        // bob himself may move with his nick.
        let moved = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 3)
        #expect(moved.contains { $0.to == bob && $0.type == nil && $0.kind == .presence })
        _ = state.handle(presence(to: try roomJID.with(resource: "bob"), from: bob, type: "unavailable"))
        // And carol cannot take it in the main room while he is in the breakout room.
        let main = state.handle(presence(to: try roomJID.with(resource: "bob"), from: carol))
        #expect(condition(main.first) == "conflict")
    }

    @Test func aParticipantMovingKeepsItsNick() throws {
        var state = conference()
        let breakout = try withBreakoutRoom(&state)
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "focus"), from: focus), nowMillis: 1)
        // bob leaves the main room as lib-jitsi-meet does when it moves: <status>switch_room</status>.
        var leave = XMLElement("presence", ns: Namespace.client, [("type", "unavailable")])
        var status = XMLElement(name: "status", namespace: Namespace.client)
        status.append(text: "switch_room")
        leave.append(status)
        _ = state.handle(
            Stanza(unchecked: leave, kind: .presence, from: bob, to: try roomJID.with(resource: "bob")),
            nowMillis: 1000
        )
        #expect(state.occupants["bob"] == nil)
        // Nobody else takes his nick meanwhile, in either room.
        let main = state.handle(presence(to: try roomJID.with(resource: "bob"), from: carol), nowMillis: 2000)
        #expect(condition(main.first) == "conflict")
        let other = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: carol), nowMillis: 2000)
        #expect(condition(other.first) == "conflict")
        // He arrives; once he has left for good, the nick is free again.
        let arrived = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 3000)
        #expect(arrived.contains { $0.to == bob && $0.type == nil && $0.kind == .presence })
        _ = state.breakoutStanza(
            presence(to: try breakout.with(resource: "bob"), from: bob, type: "unavailable"),
            nowMillis: 4000
        )
        let free = state.handle(presence(to: try roomJID.with(resource: "bob"), from: carol), nowMillis: 5000)
        #expect(free.contains { $0.to == carol && $0.type == nil && $0.kind == .presence })
        // A reservation that is never used lapses.
        var leaveAlice = leave
        leaveAlice[attribute: "type"] = "unavailable"
        _ = state.handle(
            Stanza(unchecked: leaveAlice, kind: .presence, from: alice, to: try roomJID.with(resource: "alice")),
            nowMillis: 6000
        )
        let early = state.handle(presence(to: try roomJID.with(resource: "alice"), from: bob), nowMillis: 7000)
        #expect(condition(early.first) == "conflict")
        let late = state.handle(presence(to: try roomJID.with(resource: "alice"), from: bob), nowMillis: 66_001)
        #expect(late.contains { $0.to == bob && $0.type == nil && $0.kind == .presence })
    }

    @Test func aBreakoutRoomOfARefusedNameAdmitsOnlyAdmins() throws {
        var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
        s.admins = [focus.bare]
        s.breakoutRoomsDomain = "breakout.meet.jitsi"
        let refusal = StanzaError(.notAllowed, type: .cancel, text: "room name looks like an e-mail address")
        var state = RoomState(
            jid: try JID("alice%40example.com@muc.meet.jitsi"),
            service: s,
            meetingID: "m",
            createdMillis: 0,
            iqSecret: [1],
            nameRefusal: refusal
        )
        _ = state.handle(presence(to: try JID("alice%40example.com@muc.meet.jitsi/focus"), from: focus))
        _ = state.handle(presence(to: try JID("alice%40example.com@muc.meet.jitsi/alice"), from: alice))
        #expect(state.occupants["alice"] == nil)
        state.affiliations[focus.bare] = .owner
        // The focus (an admin) moderates and adds a room: it inherits the main room's verdict.
        let node = try #require(BreakoutRoomName.make(mainRoom: "alice%40example.com")).node
        state.breakoutRoomsState.listed.append(
            .init(name: try #require(BreakoutRoomName(node: node)), subject: nil)
        )
        state.breakoutRoomsState.active = true
        let breakout = try JID("\(node)@breakout.meet.jitsi")
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "focus"), from: focus), nowMillis: 1)
        let out = state.breakoutStanza(presence(to: try breakout.with(resource: "bob"), from: bob), nowMillis: 2)
        #expect(errorText(out.first) == "room name looks like an e-mail address")
    }

    @Test func breakoutRoomNames() {
        let id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
        #expect(BreakoutRoomName(node: "weeklysync_\(id)")?.mainRoom == "weeklysync")
        #expect(BreakoutRoomName(node: "[acme]a_b_\(id)")?.mainRoom == "[acme]a_b")
        #expect(BreakoutRoomName(node: "_\(id)") == nil, "no main room")
        #expect(BreakoutRoomName(node: "weeklysync-\(id)") == nil)
        #expect(BreakoutRoomName(node: "weeklysync_1B4E28BA-2fa1-11d2-883f-0016d3cca427") == nil)
        #expect(BreakoutRoomName(node: "weeklysync_1b4e28ba2fa1-11d2-883f-0016d3cca4277") == nil)
        #expect(BreakoutRoomName(node: id) == nil)
        #expect(BreakoutRoomName.make(mainRoom: "weeklysync").map { BreakoutRoomName(node: $0.node) != nil } == true)
        #expect(BreakoutRoomName.make(mainRoom: String(repeating: "a", count: 1000)) == nil)
    }

    @Test func theRoomNamePolicyJudgesABreakoutRoomByItsMainRoom() {
        let policy = RoomNamePolicy(
            configuration: .init(),
            localDomains: ["meet.jitsi"],
            mucDomains: ["muc.meet.jitsi"],
            breakoutDomains: ["breakout.meet.jitsi"],
            isAccountName: { _ in false }
        )
        // A UUID full of digits is not a phone number: the server made it.
        let digits = "12345678-1234-1234-1234-123456789012"
        #expect(policy.evaluate("weeklysync_\(digits)@breakout.meet.jitsi").stanzaError == nil)
        #expect(policy.evaluate("alice%40example.com_\(digits)@breakout.meet.jitsi").stanzaError != nil)
        #expect(policy.evaluate("weeklysync@muc.meet.jitsi").stanzaError == nil)
    }
}

extension Result where Failure == StanzaError {
    fileprivate var failureCondition: StanzaError.Condition? {
        if case .failure(let error) = self { return error.condition }
        return nil
    }
}

/// Tenants (`mod_muc_domain_mapper`): the main room's addresses in what the breakout rooms send are the virtual form
/// the tenant's clients use.
@Suite struct BreakoutRoomsTenantTests {
    @Test func aTenantsMainRoomIsNamedAsItsClientsKnowIt() throws {
        let real = try JID("[acme]standup@muc.meet.jitsi")
        let virtual = "standup@muc.acme.meet.jitsi"
        var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
        s.admins = [focus.bare]
        s.breakoutRoomsDomain = "breakout.meet.jitsi"
        s.mapsTenantAddresses = true
        var state = RoomState(jid: real, service: s, meetingID: "m", createdMillis: 0, iqSecret: [1])
        _ = state.handle(presence(to: try real.with(resource: "focus"), from: focus))
        _ = state.handle(presence(to: try real.with(resource: "alice"), from: alice))
        state.affiliations[alice.bare] = .owner
        state.occupants["alice"]?.role = .moderator
        _ = try state.breakoutRooms(command([("type", "features/breakout-rooms/add"), ("subject", "A")]), from: alice)
            .get()
        let node = try #require(state.breakoutRoomsState.listed.first?.name.node)
        #expect(node.hasPrefix("[acme]standup_"))
        let json = try #require(jsonMessages(state.timerFired(.breakoutRoomsUpdate, nowMillis: 1)).first?.json)
        let rooms = try #require(json["rooms"] as? [String: [String: Any]])
        #expect(rooms["standup"]?["jid"] as? String == virtual)
        #expect((rooms["standup"]?["participants"] as? [String: Any])?.keys.sorted() == ["\(virtual)/alice"])
        // A move to the main room by its virtual address is accepted and passed on as given.
        let move = try state.breakoutRooms(
            command([
                ("type", "features/breakout-rooms/move-to-room"), ("participantJid", alice.description),
                ("roomJid", virtual),
            ]),
            from: alice
        ).get()
        #expect(jsonMessages(move).first?.json["roomJid"] as? String == virtual)
        // The breakout room names its main room the same way.
        let breakout = try JID("\(node)@breakout.meet.jitsi")
        _ = state.breakoutStanza(presence(to: try breakout.with(resource: "focus"), from: focus), nowMillis: 2)
        let room = try #require(state.breakoutRoomsState.liveRooms[node])
        #expect(room.configurationForm()["muc#roominfo_breakout_main_room"]?.value == virtual)
        // Other addresses are left as they are.
        #expect(state.clientAddress(breakout) == breakout)
        #expect(state.clientAddress(try JID("standup@muc.meet.jitsi")) == (try JID("standup@muc.meet.jitsi")))
    }
}
