import ParleyCore
import ParleyTestSupport
import ParleyXML
import Testing

@testable import ParleyMUC

private let room = try! JID("weeklysync@muc.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e-52d0-4b8e-9a61-0c7d2e4f8b13@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let carol = try! JID("e15c8a3f@meet.jitsi/r3")

private func service(focusLock: Bool = false) -> MUCServiceConfiguration {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    s.focusLock = focusLock
    return s
}

private func newRoom(focusLock: Bool = false) -> RoomState {
    RoomState(
        jid: room,
        service: service(focusLock: focusLock),
        meetingID: "a61f0c3e-8b27-4d94-b5e1-7c2d9f04e8ab",
        createdMillis: 1_787_303_615_862,
        iqSecret: Array("secret".utf8)
    )
}

private func parse(_ xml: String) -> XMLElement {
    let parser = XMLStreamParser(configuration: .init(maxStanzaBytes: 1 << 20))
    var found: XMLElement?
    try? parser.feed(
        Array(("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + xml).utf8)
    ) {
        if case .element(let e) = $0 { found = e }
    }
    return found ?? XMLElement(name: "invalid", namespace: "")
}

private func stanza(_ xml: String, from: JID) -> Stanza {
    var s = try! Stanza(parse(xml))
    s.from = from
    return s
}

private func join(_ nick: String, from: JID, id: String? = nil, extra: String = "") -> Stanza {
    stanza(
        "<presence to='\(room)/\(nick)'\(id.map { " id='\($0)'" } ?? "")><x xmlns='http://jabber.org/protocol/muc'>\(extra)</x></presence>",
        from: from
    )
}

private func statuses(_ s: Stanza) -> [String] {
    s.element.child("x", namespace: Namespace.mucUser)?.elements.filter { $0.name == "status" }.compactMap {
        $0[attribute: "code"]
    } ?? []
}

private func item(_ s: Stanza) -> XMLElement? { s.element.child("x", namespace: Namespace.mucUser)?.child("item") }

private func errorCondition(_ s: Stanza) -> String? {
    s.element.child("error")?.elements.first { $0.namespace == Namespace.stanzaErrors && $0.name != "text" }?.name
}

@Suite struct RoomStateTests {
    @Test func firstJoinCreatesWith201AndSubjectLast() {
        var state = newRoom()
        let out = state.handle(join("focus", from: focus))
        #expect(out.count == 2)
        #expect(out[0].from?.description == "\(room)/focus")
        #expect(out[0].to == focus)
        #expect(statuses(out[0]) == ["110", "100", "201"])
        #expect(item(out[0])?[attribute: "affiliation"] == "owner")
        #expect(item(out[0])?[attribute: "role"] == "moderator")
        #expect(item(out[0])?[attribute: "jid"] == focus.description)
        #expect(out[1].kind == .message && out[1].element.child("subject") != nil)
    }

    /// A self-presence is written from the bytes others get with its status codes put in (`selfPresence`): the same
    /// bytes a serialization of it writes, for a Jitsi join, a moderator's view with the real JID, and an update.
    @Test func selfPresenceBytesAreTheOthersCopyWithStatusCodes() throws {
        for whois in [RoomConfiguration.WhoIs.anyone, .moderators] {
            var state = newRoom()
            state.configuration.whois = whois
            _ = state.handle(join("focus", from: focus))
            _ = state.handle(join("bob", from: bob))
            let fixture = parse(String(decoding: Fixtures.bytes("participant-join-presence.xml"), as: UTF8.self))
            var presence = try Stanza(fixture)
            presence.from = alice
            let joined = state.handle(presence)
            var update = try Stanza(fixture)
            update.from = alice
            let updated = state.handle(update)
            for out in [joined, updated] {
                let own = try #require(out.first { $0.to == alice && $0.kind == .presence && $0.from == presence.to })
                #expect(statuses(own).first == "110")
                let bytes = try #require(own.serialized, "no bytes made from the others' copy")
                #expect(bytes == StanzaBytes(own.body, from: own.from))
                #expect(bytes.bytes.count > 500)
            }
        }
    }

    @Test func insertingBeforeClosingNeedsTheClosing() {
        let element = XMLElement("presence", ns: Namespace.client, children: [XMLElement("x", ns: "urn:y")])
        let bytes = StanzaBytes(element, from: room)
        #expect(bytes.inserting([0x41], beforeClosing: Array("</z></presence>".utf8)) == nil)
        let spliced = bytes.inserting(Array("<a/>".utf8), beforeClosing: Array("</presence>".utf8))
        #expect(
            spliced.map { String(decoding: $0.bytes, as: UTF8.self) }
                == "<presence from='\(room)'><x xmlns='urn:y'/><a/></presence>"
        )
        #expect(bytes.inserting([], beforeClosing: bytes.bytes) == nil)
    }

    @Test func joinOrderFollowsXEP0045Section7_2_3() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        let fixture = parse(String(decoding: Fixtures.bytes("participant-join-presence.xml"), as: UTF8.self))
        var presence = try! Stanza(fixture)
        presence.from = alice
        let out = state.handle(presence)
        // 1. existing occupant (focus) to the newcomer; 2. newcomer to focus; 3. self-presence; 4. subject.
        #expect(
            out.map { "\($0.from?.resourcepart ?? "room")→\($0.to?.localpart ?? "")" } == [
                "focus→\(alice.localpart!)", "3f9a1c7e→focus", "3f9a1c7e→\(alice.localpart!)",
                "room→\(alice.localpart!)",
            ]
        )
        #expect(statuses(out[2]) == ["110", "100"])
        // Every Jitsi extension arrives unchanged; only muc#user is added and muc's <x/> is gone.
        let relayed = out[1].element
        let original = fixture.elements.filter { $0.namespace != Namespace.muc }
        #expect(Array(relayed.elements.dropLast()) == original)
        #expect(relayed.elements.last?.namespace == Namespace.mucUser)
        #expect(relayed.child("x", namespace: Namespace.muc) == nil)
        #expect(item(out[1])?[attribute: "jid"] == alice.description)
        #expect(item(out[1])?[attribute: "role"] == "participant")
    }

    @Test func joinErrorsComeFromTheOccupantJIDWithTheJoinID() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("alice", from: alice))
        let conflict = state.handle(join("alice", from: bob, id: "j1"))
        #expect(conflict.count == 1)
        #expect(conflict[0].type == "error" && conflict[0].id == "j1")
        #expect(conflict[0].from?.description == "\(room)/alice")
        #expect(errorCondition(conflict[0]) == "conflict")
        let bare = state.handle(
            stanza("<presence to='\(room)' id='j2'><x xmlns='http://jabber.org/protocol/muc'/></presence>", from: bob)
        )
        #expect(errorCondition(bare[0]) == "jid-malformed")
        let absurd = state.handle(join(String(repeating: "n", count: 500), from: bob, id: "j3"))
        #expect(errorCondition(absurd[0]) == "not-acceptable")
    }

    @Test func passwordMembersOnlyAndMaxOccupants() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        state.configuration.password = "s3cret"
        #expect(errorCondition(state.handle(join("bob", from: bob))[0]) == "not-authorized")
        #expect(
            statuses(state.handle(join("bob", from: bob, extra: "<password>s3cret</password>")).dropLast().last!) == [
                "110", "100",
            ]
        )
        state.configuration.password = nil
        state.configuration.membersOnly = true
        let refused = state.handle(join("carol", from: carol))
        #expect(errorCondition(refused[0]) == "registration-required")
        #expect(refused[0].element.child("error")?[attribute: "type"] == "auth")
        state.configuration.membersOnly = false
        state.configuration.maxOccupants = 1
        let full = state.handle(join("carol", from: carol))
        #expect(errorCondition(full[0]) == "service-unavailable")
        // Admins are neither counted nor refused.
        let admin2 = try! JID("focus@auth.meet.jitsi/other")
        #expect(!state.handle(join("focus2", from: admin2)).isEmpty)
    }

    @Test func presenceUpdatesAreRelayedUnchangedAndLeavingDestroysWhenEmpty() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("alice", from: alice))
        let update = stanza(
            "<presence to='\(room)/alice'><audiomuted>false</audiomuted><SourceInfo>{\"a\":1}</SourceInfo></presence>",
            from: alice
        )
        let out = state.handle(update)
        #expect(out.count == 2)
        let toFocus = out.first { $0.to == focus }!
        #expect(toFocus.element.child("audiomuted")?.text == "false")
        #expect(toFocus.element.child("SourceInfo")?.text == "{\"a\":1}")
        #expect(statuses(out.first { $0.to == alice }!) == ["110"])

        let leave = state.handle(stanza("<presence type='unavailable' to='\(room)/alice'/>", from: alice))
        #expect(leave.count == 2)
        #expect(leave.allSatisfy { $0.type == "unavailable" && item($0)?[attribute: "role"] == "none" })
        #expect(statuses(leave.first { $0.to == alice }!) == ["110"])
        #expect(!state.destroyed)
        _ = state.handle(stanza("<presence type='unavailable' to='\(room)/focus'/>", from: focus))
        #expect(state.destroyed && state.isEmpty)
    }

    @Test func laterJoinersGetTheTemplateTheBroadcastMadeAndNeverAStaleOne() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        let aliceJoin = state.handle(join("alice", from: alice, extra: "<history maxchars='0'/>"))
        let toFocus = aliceJoin.first { $0.to == focus }!
        // The broadcast's serialized template is kept as alice's presence for the next joiner (XEP-0045 §7.2.3).
        #expect(state.occupants["alice"]?.cachedPresence?.stanza.element.children == toFocus.element.children)
        let bobJoin = state.handle(join("bob", from: bob))
        let aliceToBob = bobJoin.first { $0.to == bob && $0.from?.resourcepart == "alice" }!
        #expect(aliceToBob.element.children == toFocus.element.children)
        #expect(aliceToBob.from == toFocus.from)

        // After an update the next joiner sees the new payload, not the one cached at the join.
        _ = state.handle(stanza("<presence to='\(room)/alice'><audiomuted>true</audiomuted></presence>", from: alice))
        let carolJoin = state.handle(join("carol", from: carol))
        let aliceToCarol = carolJoin.first { $0.to == carol && $0.from?.resourcepart == "alice" }!
        #expect(aliceToCarol.element.child("audiomuted")?.text == "true")
        #expect(item(aliceToCarol)?[attribute: "role"] == "participant")
        #expect(item(aliceToCarol)?[attribute: "jid"] == alice.description)
    }

    @Test func kickSends307WithActorAndResetsAffiliation() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("alice", from: alice))
        _ = state.handle(join("bob", from: bob))
        // Jicofo's auto-owner grant to alice: her presence is rebroadcast as moderator.
        let grant = state.handle(
            stanza(
                "<iq type='set' id='g1' to='\(room)'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='owner' jid='\(alice.bare)'/></query></iq>",
                from: focus
            )
        )
        #expect(grant.last?.type == "result")
        #expect(
            grant.dropLast().allSatisfy {
                item($0)?[attribute: "role"] == "moderator" && item($0)?[attribute: "affiliation"] == "owner"
            }
        )
        // A participant may not kick.
        let denied = state.handle(
            stanza(
                "<iq type='set' id='k0' to='\(room)'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='alice' role='none'/></query></iq>",
                from: bob
            )
        )
        #expect(errorCondition(denied[0]) == "forbidden")
        let kick = state.handle(
            stanza(
                "<iq type='set' id='k1' to='\(room)'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='bob' role='none'><reason>bye</reason></item></query></iq>",
                from: alice
            )
        )
        let toBob = kick.first { $0.to == bob }!
        #expect(statuses(toBob) == ["307", "110"])
        #expect(item(toBob)?.child("actor")?[attribute: "nick"] == "alice")
        #expect(item(toBob)?.child("reason")?.text == "bye")
        #expect(kick.last?.type == "result" && kick.last?.id == "k1")
        #expect(state.occupants["bob"] == nil)
    }

    @Test func ownerFormHasWhoisAndMeetingIDAndRefusesUnknownFields() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("alice", from: alice))
        let form = state.handle(
            stanza(
                "<iq type='get' id='f1' to='\(room)'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>",
                from: focus
            )
        )
        let x = DataForm(form[0].element.child("query")!.child("x")!)!
        #expect(x["muc#roomconfig_whois"]?.type == "list-single")
        #expect(x["muc#roominfo_meetingId"]?.value == "a61f0c3e-8b27-4d94-b5e1-7c2d9f04e8ab")
        #expect(x["muc#roomconfig_maxusers"] != nil && x["muc#roomconfig_passwordprotectedroom"] != nil)
        let denied = state.handle(
            stanza(
                "<iq type='get' id='f2' to='\(room)'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>",
                from: alice
            )
        )
        #expect(errorCondition(denied[0]) == "forbidden")
        let unknown = state.handle(
            stanza(
                "<iq type='set' id='f3' to='\(room)'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_bogus'><value>1</value></field></x></query></iq>",
                from: focus
            )
        )
        #expect(errorCondition(unknown[0]) == "not-acceptable")
        let submit = state.handle(
            stanza(
                "<iq type='set' id='f4' to='\(room)'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_whois'><value>anyone</value></field><field var='muc#roomconfig_roomsecret'><value>pw</value></field><field var='muc#roomconfig_maxusers'><value>10</value></field></x></query></iq>",
                from: focus
            )
        )
        #expect(submit[0].type == "result")
        #expect(state.configuration.password == "pw" && state.configuration.maxOccupants == 10)
    }

    @Test func iqsToOccupantsAreRelayedWithRewrittenIDsAndComeBack() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("3f9a1c7e", from: alice))
        let jingle = parse(String(decoding: Fixtures.bytes("jingle-session-initiate.xml"), as: UTF8.self))
        var request = try! Stanza(jingle)
        request.from = focus
        let relayed = state.handle(request)
        #expect(relayed.count == 1)
        #expect(relayed[0].to == alice)
        #expect(relayed[0].from?.description == "\(room)/focus")
        #expect(relayed[0].id != request.id)
        #expect(relayed[0].element.children == jingle.children)
        let result = state.handle(stanza("<iq type='result' id='\(relayed[0].id!)' to='\(room)/focus'/>", from: alice))
        #expect(result.count == 1)
        #expect(result[0].to == focus && result[0].id == request.id)
        #expect(result[0].from?.description == "\(room)/3f9a1c7e")
        // A forged id is dropped; a non-occupant and an absent occupant get XEP errors.
        #expect(state.handle(stanza("<iq type='result' id='Zm9yZ2Vk' to='\(room)/focus'/>", from: alice)).isEmpty)
        let outsider = state.handle(
            stanza("<iq type='get' id='o1' to='\(room)/focus'><ping xmlns='urn:xmpp:ping'/></iq>", from: carol)
        )
        #expect(errorCondition(outsider[0]) == "not-acceptable")
        let absent = state.handle(
            stanza("<iq type='get' id='o2' to='\(room)/nobody'><ping xmlns='urn:xmpp:ping'/></iq>", from: alice)
        )
        #expect(errorCondition(absent[0]) == "item-not-found")
    }

    @Test func focusLockHoldsJoinsUntilFocusArrives() {
        var state = newRoom(focusLock: true)
        #expect(state.handle(join("alice", from: alice)).isEmpty)
        #expect(state.handle(join("bob", from: bob)).isEmpty)
        #expect(state.queuedJoinCount == 2)
        let out = state.handle(join("focus", from: focus))
        #expect(state.queuedJoinCount == 0)
        #expect(state.occupants.keys.sorted() == ["alice", "bob", "focus"])
        #expect(statuses(out.first { $0.to == focus }!) == ["110", "100", "201"])
        #expect(out.contains { $0.to == bob && $0.from?.resourcepart == "bob" && statuses($0) == ["110", "100"] })
    }

    @Test("every joiner gets the current subject, serialized once per subject and addressed to the joiner")
    func joinersGetTheCurrentSubject() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        let first = state.handle(join("alice", from: alice)).last!
        #expect(first.to == alice && first.from == room && first.element.child("subject")?.text == "")
        let changed = state.handle(
            stanza("<message type='groupchat' to='\(room)'><subject>Standup</subject></message>", from: focus)
        )
        #expect(changed.count == 2)
        for (joiner, nick) in [(bob, "bob"), (carol, "carol")] {
            let subject = state.handle(join(nick, from: joiner)).last!
            #expect(subject.kind == .message && subject.to == joiner)
            #expect(subject.from?.description == "\(room)/focus")
            #expect(subject.element.child("subject")?.text == "Standup")
            // The bytes a session writes are a fresh serialization's.
            #expect(subject.serialized != nil)
            var cached: [UInt8] = []
            subject.serialized?.write(to: joiner, declareNamespace: false, into: &cached)
            var fresh: [UInt8] = []
            StanzaBytes(subject.body, from: subject.from).write(to: joiner, declareNamespace: false, into: &fresh)
            #expect(cached == fresh)
            #expect(String(decoding: cached, as: UTF8.self).contains(joiner.description))
        }
    }

    @Test func groupchatAndPrivateMessages() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("alice", from: alice))
        _ = state.handle(join("bob", from: bob))
        let chat = state.handle(
            stanza(
                "<message type='groupchat' to='\(room)'><body>hi</body><nick xmlns='http://jabber.org/protocol/nick'>Alice</nick></message>",
                from: alice
            )
        )
        #expect(chat.count == 3)
        #expect(
            chat.allSatisfy {
                $0.from?.description == "\(room)/alice" && $0.element.child("nick") == nil
                    && $0.element.child("body")?.text == "hi"
            }
        )
        let outsider = state.handle(
            stanza("<message type='groupchat' to='\(room)'><body>x</body></message>", from: carol)
        )
        #expect(errorCondition(outsider[0]) == "not-acceptable")
        let pm = state.handle(stanza("<message type='chat' to='\(room)/bob'><body>psst</body></message>", from: alice))
        #expect(pm.count == 1 && pm[0].to == bob && pm[0].from?.description == "\(room)/alice")
        // History is off by default: a late joiner gets only presences and the subject.
        let late = state.handle(join("carol", from: carol))
        #expect(!late.contains { $0.kind == .message && $0.element.child("body") != nil })
    }

    @Test func historyWhenEnabledIsReplayedWithDelay() {
        var state = newRoom()
        state.configuration.historyLength = 2
        _ = state.handle(join("focus", from: focus))
        for i in 1...3 {
            _ = state.handle(
                stanza("<message type='groupchat' to='\(room)'><body>m\(i)</body></message>", from: focus),
                nowMillis: 1_700_000_000_000
            )
        }
        let late = state.handle(join("alice", from: alice))
        let bodies = late.compactMap { $0.element.child("body")?.text }
        #expect(bodies == ["m2", "m3"])
        #expect(
            late.first { $0.element.child("body") != nil }?.element.child("delay")?[attribute: "stamp"]
                == "2023-11-14T22:13:20Z"
        )
    }

    @Test func roomDiscoIsForOccupantsOnly() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        let outsider = state.handle(
            stanza(
                "<iq type='get' id='d0' to='\(room)'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                from: carol
            )
        )
        #expect(errorCondition(outsider[0]) == "forbidden")
        _ = state.handle(join("alice", from: alice))
        let info = state.handle(
            stanza(
                "<iq type='get' id='d1' to='\(room)'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                from: alice
            )
        )
        let form = DataForm(info[0].element.child("query")!.child("x")!)!
        #expect(form["muc#roominfo_meetingId"]?.value == "a61f0c3e-8b27-4d94-b5e1-7c2d9f04e8ab")
        #expect(form["muc#roominfo_created_timestamp"]?.value == "1787303615862")
        #expect(info[0].element.child("query")!.elements.contains { $0[attribute: "var"] == Namespace.muc })
    }

    @Test func ownerDestroyTellsEveryoneWithTheReason() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("alice", from: alice))
        let out = state.handle(
            stanza(
                "<iq type='set' id='x1' to='\(room)'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy><reason>meeting over</reason></destroy></query></iq>",
                from: focus
            )
        )
        let presences = out.filter { $0.kind == .presence }
        #expect(presences.count == 2)
        #expect(
            presences.allSatisfy {
                $0.element.child("x", namespace: Namespace.mucUser)?.child("destroy")?.child("reason")?.text
                    == "meeting over"
            }
        )
        #expect(out.last?.type == "result")
        #expect(state.destroyed)
    }

    @Test func bannedUsersCannotReturn() {
        var state = newRoom()
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("bob", from: bob))
        let ban = state.handle(
            stanza(
                "<iq type='set' id='b1' to='\(room)'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='\(bob.bare)'/></query></iq>",
                from: focus
            )
        )
        #expect(statuses(ban.first { $0.to == bob }!) == ["301", "110"])
        #expect(errorCondition(state.handle(join("bob", from: bob))[0]) == "forbidden")
    }
}
