import ParleyCore
import ParleyTestSupport
import ParleyXML
import Testing

@testable import ParleyServer

/// The Jitsi call flow end to end, in process: focus logs in, a participant asks for a conference
/// through focus.meet.jitsi, both join, Jingle crosses occupant JIDs, leaving destroys the room.
@Suite struct JitsiFlowTests {
    @Test func conferenceIQJoinJingleAndLeave() async throws {
        let server = try TestServer(accounts: ["focus": "focuspass"])
        defer { server.shutdown() }
        let focus = try await server.client()
        let focusJID = try await focus.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "focus",
            password: "focuspass",
            resource: "focus"
        )
        try await focus.send("<presence/>")

        let alice = try await server.client()
        let aliceJID = try await alice.login(host: "meet.jitsi")
        // The MUC service advertises the MUC feature (Smack checks it before joining).
        try await alice.send("<iq type='get' id='mi' to='muc.meet.jitsi'><query xmlns='\(Namespace.discoInfo)'/></iq>")
        let mucInfo = try await alice.expect { $0[attribute: "id"] == "mi" }
        #expect(mucInfo.child("query")?.elements.contains { $0[attribute: "var"] == Namespace.muc } == true)

        // Before focus creates it, a participant may not create the room.
        try await alice.send(
            "<presence to='weeklysync@muc.meet.jitsi/3f9a1c7e' id='early'><x xmlns='\(Namespace.muc)'/></presence>"
        )
        let refused = try await alice.expect { $0.name == "presence" && $0[attribute: "id"] == "early" }
        #expect(refused[attribute: "type"] == "error")
        #expect(refused.child("error")?.child("text")?.text == "Room creation is restricted")

        // Conference IQ through the focus proxy.
        try await alice.send(
            "<iq type='set' id='q1' to='focus.meet.jitsi'><conference xmlns='\(Namespace.focus)' room='weeklysync@muc.meet.jitsi' machine-uid='ab'/></iq>"
        )
        let proxied = try await focus.expect { $0.name == "iq" && $0[attribute: "id"] == "q1" }
        #expect(proxied[attribute: "from"] == "focus.meet.jitsi/\(aliceJID)")
        // Focus creates the room, reads the owner form, then answers.
        try await focus.send("<presence to='weeklysync@muc.meet.jitsi/focus'><x xmlns='\(Namespace.muc)'/></presence>")
        let created = try await focus.expect {
            $0.name == "presence" && $0[attribute: "from"] == "weeklysync@muc.meet.jitsi/focus"
        }
        let codes =
            created.child("x", namespace: Namespace.mucUser)?.elements.compactMap { $0[attribute: "code"] } ?? []
        #expect(codes.contains("201") && codes.contains("110"))
        try await focus.send(
            "<iq type='get' id='cfg' to='weeklysync@muc.meet.jitsi'><query xmlns='\(Namespace.mucOwner)'/></iq>"
        )
        let form = try await focus.expect { $0[attribute: "id"] == "cfg" }
        #expect(form.child("query")?.child("x").flatMap(DataForm.init)?["muc#roomconfig_whois"] != nil)
        try await focus.send(
            "<iq type='result' id='q1' to='focus.meet.jitsi/\(aliceJID)'><conference xmlns='\(Namespace.focus)' ready='true' room='weeklysync@muc.meet.jitsi' focusjid='focus@auth.meet.jitsi'/></iq>"
        )
        let answer = try await alice.expect { $0[attribute: "id"] == "q1" }
        #expect(answer[attribute: "from"] == "focus.meet.jitsi")
        #expect(answer.child("conference")?[attribute: "ready"] == "true")

        // The participant joins with Jitsi's presence extensions.
        let join = String(decoding: Fixtures.bytes("participant-join-presence.xml"), as: UTF8.self)
        try await alice.send(join)
        let selfPresence = try await alice.expect {
            $0.name == "presence" && $0[attribute: "from"] == "weeklysync@muc.meet.jitsi/3f9a1c7e"
        }
        #expect(selfPresence.child("stats-id")?.text == "Rosalind-mQZ")
        let seenByFocus = try await focus.expect {
            $0.name == "presence" && $0[attribute: "from"] == "weeklysync@muc.meet.jitsi/3f9a1c7e"
        }
        #expect(
            seenByFocus.child("x", namespace: Namespace.mucUser)?.child("item")?[attribute: "jid"]
                == aliceJID.description
        )

        // Jingle from focus to the participant's occupant JID and the result back with the original id.
        try await focus.send(
            "<iq type='set' id='j1' to='weeklysync@muc.meet.jitsi/3f9a1c7e'><jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s1'/></iq>"
        )
        let jingle = try await alice.expect { $0.name == "iq" && $0.child("jingle") != nil }
        #expect(jingle[attribute: "from"] == "weeklysync@muc.meet.jitsi/focus")
        try await alice.send(
            "<iq type='result' id='\(jingle[attribute: "id"]!)' to='weeklysync@muc.meet.jitsi/focus'/>"
        )
        let jingleResult = try await focus.expect { $0.name == "iq" && $0[attribute: "id"] == "j1" }
        #expect(jingleResult[attribute: "type"] == "result")
        #expect(jingleResult[attribute: "from"] == "weeklysync@muc.meet.jitsi/3f9a1c7e")

        // Leaving by closing the connection: focus sees the unavailable presence (no ghosts).
        await alice.close()
        let gone = try await focus.expect { $0.name == "presence" && $0[attribute: "type"] == "unavailable" }
        #expect(gone[attribute: "from"] == "weeklysync@muc.meet.jitsi/3f9a1c7e")
        // Focus leaves: the room is destroyed and its name can be used at once.
        try await focus.send("<presence type='unavailable' to='weeklysync@muc.meet.jitsi/focus'/>")
        _ = try await focus.expect { $0.name == "presence" && $0[attribute: "type"] == "unavailable" }
        try await focus.send("<presence to='weeklysync@muc.meet.jitsi/focus'><x xmlns='\(Namespace.muc)'/></presence>")
        let again = try await focus.expect {
            $0.name == "presence" && $0[attribute: "from"] == "weeklysync@muc.meet.jitsi/focus"
        }
        #expect(
            again.child("x", namespace: Namespace.mucUser)?.elements.contains { $0[attribute: "code"] == "201" } == true
        )
        _ = focusJID
        await focus.close()
    }

    @Test func noLiveFocusIsServiceUnavailable() async throws {
        let server = try TestServer()
        defer { server.shutdown() }
        let alice = try await server.client()
        _ = try await alice.login(host: "meet.jitsi")
        try await alice.send(
            "<iq type='set' id='q1' to='focus.meet.jitsi'><conference xmlns='\(Namespace.focus)' room='abc@muc.meet.jitsi'/></iq>"
        )
        let answer = try await alice.expect { $0[attribute: "id"] == "q1" }
        #expect(answer.child("error")?.child("service-unavailable") != nil)
        await alice.close()
    }
}

@Suite struct RoomNamePolicyFlowTests {
    @Test func personalRoomNamesAreRefusedAtTheConferenceIQAndAtJoin() async throws {
        let server = try TestServer(accounts: ["focus": "pw"])
        defer { server.shutdown() }
        let focus = try await server.client()
        _ = try await focus.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "focus",
            password: "pw",
            resource: "focus"
        )
        try await focus.send("<presence/>")
        let alice = try await server.client()
        _ = try await alice.login(host: "meet.jitsi")

        // The conference IQ is refused before the focus sees it.
        try await alice.send(
            "<iq type='set' id='q1' to='focus.meet.jitsi'><conference xmlns='\(Namespace.focus)' room='aliceexample.com@muc.meet.jitsi'/></iq>"
        )
        let refused = try await alice.expect { $0[attribute: "id"] == "q1" }
        let error = try #require(refused.child("error"))
        #expect(error[attribute: "type"] == "cancel" && error.child("not-allowed") != nil)
        #expect(error.child("text")?.text == "room name looks like an e-mail address")

        // A room focus (an admin) made cannot be joined by participants when its name is a phone number.
        try await focus.send(
            "<presence to='4917612345678@muc.meet.jitsi/focus'><x xmlns='\(Namespace.muc)'/></presence>"
        )
        _ = try await focus.expect {
            $0.name == "presence" && $0[attribute: "from"] == "4917612345678@muc.meet.jitsi/focus"
        }
        try await alice.send(
            "<presence id='j1' to='4917612345678@muc.meet.jitsi/alice'><x xmlns='\(Namespace.muc)'/></presence>"
        )
        let joinError = try await alice.expect { $0.name == "presence" && $0[attribute: "id"] == "j1" }
        #expect(joinError[attribute: "type"] == "error")
        #expect(joinError.child("error")?.child("text")?.text == "room name looks like a phone number")

        // Ordinary names pass.
        try await alice.send(
            "<iq type='set' id='q2' to='focus.meet.jitsi'><conference xmlns='\(Namespace.focus)' room='weekly-standup@muc.meet.jitsi'/></iq>"
        )
        let forwarded = try await focus.expect { $0.name == "iq" && $0[attribute: "id"] == "q2" }
        #expect(forwarded.child("conference")?[attribute: "room"] == "weekly-standup@muc.meet.jitsi")
        await alice.close()
        await focus.close()
    }

    /// Rooms hold their occupants' sessions (`MUCRoom.recipients`): a session replaced by a new bind of the same
    /// full JID is forgotten, and the new one, once it joins, gets the room's broadcasts.
    @Test func aReplacedSessionThatRejoinsGetsTheRoomsBroadcasts() async throws {
        let server = try TestServer(accounts: ["focus": "focuspass", "jvb": "jvbpass"])
        defer { server.shutdown() }
        let focus = try await server.client()
        _ = try await focus.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "focus",
            password: "focuspass",
            resource: "focus"
        )
        try await focus.send("<presence to='handles@muc.meet.jitsi/focus'><x xmlns='\(Namespace.muc)'/></presence>")
        _ = try await focus.expect { $0.name == "presence" && $0[attribute: "from"] == "handles@muc.meet.jitsi/focus" }

        let first = try await server.client()
        _ = try await first.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "jvb",
            password: "jvbpass",
            resource: "r"
        )
        try await first.send("<presence to='handles@muc.meet.jitsi/b'><x xmlns='\(Namespace.muc)'/></presence>")
        _ = try await first.expect { $0.name == "presence" && $0[attribute: "from"] == "handles@muc.meet.jitsi/b" }
        try await focus.send("<message type='groupchat' to='handles@muc.meet.jitsi' id='m1'><body>one</body></message>")
        let one = try await first.expect { $0.name == "message" && $0[attribute: "id"] == "m1" }
        #expect(one.child("body")?.text == "one")

        let second = try await server.client()
        _ = try await second.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "jvb",
            password: "jvbpass",
            resource: "r"
        )
        #expect(try await first.expectStreamError() == "conflict")
        // The old session's end takes its occupant out of the room…
        _ = try await focus.expect {
            $0.name == "presence" && $0[attribute: "from"] == "handles@muc.meet.jitsi/b"
                && $0[attribute: "type"] == "unavailable"
        }
        // …and the new one joins under the same JID and nick.
        try await second.send("<presence to='handles@muc.meet.jitsi/b'><x xmlns='\(Namespace.muc)'/></presence>")
        // Its own available self-presence: the old session's unavailable one, addressed to the same full JID, may
        // reach it first, and the groupchat must not be sent before the join is in.
        _ = try await second.expect {
            $0.name == "presence" && $0[attribute: "from"] == "handles@muc.meet.jitsi/b" && $0[attribute: "type"] == nil
        }
        try await focus.send("<message type='groupchat' to='handles@muc.meet.jitsi' id='m2'><body>two</body></message>")
        let two = try await second.expect { $0.name == "message" && $0[attribute: "id"] == "m2" }
        #expect(two.child("body")?.text == "two")
        await second.close()
        await focus.close()
    }
}
