import Foundation
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let component = try! JID("speakerstats.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let carol = try! JID("e15c8a3f@meet.jitsi/r3")

private func join(_ nick: String, from: JID, display: String? = nil) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    element.append(XMLElement(name: "x", namespace: Namespace.muc))
    if let display {
        var n = XMLElement(name: "nick", namespace: "http://jabber.org/protocol/nick")
        n.append(text: display)
        element.append(n)
    }
    return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
}

private func leave(_ nick: String, from: JID) -> Stanza {
    let element = XMLElement("presence", ns: Namespace.client, [("type", "unavailable")])
    return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
}

private func room(component: JID? = component, jid: JID = roomJID) -> RoomState {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    s.speakerStatsComponent = component
    var state = RoomState(jid: jid, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
    _ = state.handle(join("focus", from: focus), nowMillis: 1_000)
    return state
}

private func users(_ out: [Stanza], to: JID) -> [String: [String: Any]]? {
    guard let stanza = out.first(where: { $0.from == component && $0.to == to }),
        let text = stanza.element.child("json-message", namespace: "http://jitsi.org/jitmeet")?.text,
        let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
        json["type"] as? String == "speakerstats"
    else { return nil }
    return json["users"] as? [String: [String: Any]]
}

/// Jitsi's speaker statistics at the room (`mod_speakerstats_component`).
@Suite struct SpeakerStatsTests {
    @Test func commandsParseAsLibJitsiMeetSendsThem() throws {
        let ns = SpeakerStatsCommand.namespace
        func message(_ child: XMLElement) -> XMLElement {
            var m = XMLElement(name: "message", namespace: Namespace.client)
            m.append(child)
            return m
        }
        let dominant = message(
            XMLElement("speakerstats", ns: ns, [("room", roomJID.description), ("silence", "true")])
        )
        #expect(try SpeakerStatsCommand(message: dominant) == .dominantSpeaker(room: roomJID, silence: true))
        let face = message(
            XMLElement(
                "faceLandmarks",
                ns: ns,
                [
                    ("room", roomJID.description), ("faceExpression", "happy"), ("timestamp", "1787303615862"),
                    ("duration", "1500.4"),
                ]
            )
        )
        #expect(
            try SpeakerStatsCommand(message: face)
                == .faceLandmark(
                    room: roomJID,
                    .init(faceExpression: "happy", timestamp: 1_787_303_615_862, duration: 1_500)
                )
        )
        #expect(try SpeakerStatsCommand(message: message(XMLElement(name: "body", namespace: Namespace.client))) == nil)
        for bad in [
            XMLElement("speakerstats", ns: ns, []),
            XMLElement("speakerstats", ns: ns, [("room", "weeklysync@muc.meet.jitsi/x")]),
            XMLElement(
                "faceLandmarks",
                ns: ns,
                [("room", roomJID.description), ("faceExpression", "happy"), ("timestamp", "-1"), ("duration", "1")]
            ),
            XMLElement(
                "faceLandmarks",
                ns: ns,
                [("room", roomJID.description), ("faceExpression", "happy"), ("timestamp", "1e300"), ("duration", "1")]
            ),
            XMLElement(
                "faceLandmarks",
                ns: ns,
                [("room", roomJID.description), ("faceExpression", "happy"), ("timestamp", "nan"), ("duration", "1")]
            ),
        ] {
            #expect(throws: StanzaError.self) { try SpeakerStatsCommand(message: message(bad)) }
        }
    }

    @Test func dominantSpeakerTimeIsSummedAndSilenceStopsTheClock() throws {
        var state = room()
        _ = state.handle(join("alice", from: alice), nowMillis: 1_000)
        _ = state.handle(join("bob", from: bob), nowMillis: 1_000)
        _ = try state.speakerStats(.dominantSpeaker(room: roomJID, silence: false), from: alice, nowMillis: 2_000).get()
        _ = try state.speakerStats(.dominantSpeaker(room: roomJID, silence: true), from: alice, nowMillis: 5_000).get()
        _ = try state.speakerStats(.dominantSpeaker(room: roomJID, silence: false), from: alice, nowMillis: 6_000).get()
        _ = try state.speakerStats(.dominantSpeaker(room: roomJID, silence: false), from: bob, nowMillis: 7_000).get()
        let aliceJID = try roomJID.with(resource: "alice")
        let bobJID = try roomJID.with(resource: "bob")
        #expect(state.speakerStatsState.entries[aliceJID]?.total(at: 10_000) == 4_000)
        #expect(state.speakerStatsState.entries[bobJID]?.total(at: 10_000) == 3_000)
        // Focus is an admin: not counted.
        #expect(state.speakerStatsState.entries[try roomJID.with(resource: "focus")] == nil)
    }

    @Test func joinersGetTheTotalsIncludingThoseWhoLeft() throws {
        var state = room()
        _ = state.handle(join("alice", from: alice, display: "Alice"), nowMillis: 1_000)
        _ = state.handle(join("bob", from: bob), nowMillis: 1_000)
        // Nobody has spoken: a joiner gets nothing.
        #expect(users(state.handle(join("carol", from: carol), nowMillis: 1_500), to: carol) == nil)
        _ = try state.speakerStats(.dominantSpeaker(room: roomJID, silence: false), from: alice, nowMillis: 2_000).get()
        _ = state.handle(leave("alice", from: alice), nowMillis: 4_500)
        _ = try state.speakerStats(.dominantSpeaker(room: roomJID, silence: false), from: bob, nowMillis: 5_000).get()
        let dave = try JID("d4e5f6a7@meet.jitsi/r4")
        let got = try #require(users(state.handle(join("dave", from: dave), nowMillis: 6_000), to: dave))
        #expect(got["alice"]?["totalDominantSpeakerTime"] as? Int == 2_500)
        #expect(got["alice"]?["displayName"] as? String == "Alice")
        #expect(got["bob"]?["totalDominantSpeakerTime"] as? Int == 1_000, "the current stretch counts")
        #expect(got["carol"] == nil && got["focus"] == nil && got["dave"] == nil)
    }

    @Test func refusalsAndBounds() throws {
        var state = room()
        _ = state.handle(join("alice", from: alice), nowMillis: 1_000)
        guard
            case .failure(let outsider) = state.speakerStats(
                .dominantSpeaker(room: roomJID, silence: false),
                from: carol,
                nowMillis: 2
            )
        else {
            Issue.record("an outsider's report was taken")
            return
        }
        #expect(outsider.condition == .itemNotFound)
        let landmark = SpeakerStats.FaceLandmark(faceExpression: "happy", timestamp: 1, duration: 1)
        for _ in 0..<SpeakerStats.maxFaceLandmarks {
            _ = try state.speakerStats(.faceLandmark(room: roomJID, landmark), from: alice, nowMillis: 2).get()
        }
        guard
            case .failure(let full) = state.speakerStats(
                .faceLandmark(room: roomJID, landmark),
                from: alice,
                nowMillis: 2
            )
        else {
            Issue.record("face landmarks grew past the bound")
            return
        }
        #expect(full.condition == .resourceConstraint)
        var off = room(component: nil)
        _ = off.handle(join("alice", from: alice), nowMillis: 1_000)
        guard
            case .failure(let disabled) = off.speakerStats(
                .dominantSpeaker(room: roomJID, silence: false),
                from: alice,
                nowMillis: 2
            )
        else {
            Issue.record("statistics without the component")
            return
        }
        #expect(disabled.condition == .serviceUnavailable)
        var health = room(jid: try JID("__jicofo-health-check-3f1a@muc.meet.jitsi"))
        _ = health.handle(join("alice", from: alice), nowMillis: 1_000)
        #expect(health.speakerStatsState.entries.isEmpty)
    }
}
