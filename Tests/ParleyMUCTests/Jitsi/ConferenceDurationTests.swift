import Foundation
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let component = try! JID("conferenceduration.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")

private func join(_ nick: String, from: JID) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    element.append(XMLElement(name: "x", namespace: Namespace.muc))
    return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
}

private func started(_ out: [Stanza], to: JID) -> Int? {
    guard
        let text = out.first(where: { $0.from == component && $0.to == to })?
            .element.child("json-message", namespace: "http://jitsi.org/jitmeet")?.text,
        let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
        json["type"] as? String == "conference_duration"
    else { return nil }
    return json["created_timestamp"] as? Int
}

/// Jitsi's conference duration at the room (`mod_conference_duration_component`).
@Suite struct ConferenceDurationTests {
    @Test func joinersGetWhenTheConferenceStartedOnceTwoAreIn() {
        var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
        s.admins = [focus.bare]
        s.conferenceDurationComponent = component
        var state = RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
        #expect(started(state.handle(join("focus", from: focus), nowMillis: 1_000), to: focus) == nil)
        #expect(started(state.handle(join("alice", from: alice), nowMillis: 2_000), to: alice) == 2_000)
        #expect(started(state.handle(join("bob", from: bob), nowMillis: 9_000), to: bob) == 2_000)
    }

    @Test("the body is what the JSON writer writes for the same object, for any start time")
    func bodyIsTheJSONWritersText() {
        var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
        s.admins = [focus.bare]
        s.conferenceDurationComponent = component
        for startMillis: Int64 in [0, 1_765_000_000_123, 9_007_199_254_740_991] {
            var state = RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
            _ = state.handle(join("focus", from: focus), nowMillis: startMillis)
            let out = state.handle(join("alice", from: alice), nowMillis: startMillis)
            let text = out.first { $0.from == component }?.body.child(
                "json-message",
                namespace: "http://jitsi.org/jitmeet"
            )?
            .text
            let expected = JSONValue.text(
                .object(["type": .string("conference_duration"), "created_timestamp": .number(Double(startMillis))])
            )
            #expect(text == expected)
        }
    }
}
