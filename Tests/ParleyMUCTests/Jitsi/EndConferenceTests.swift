import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let carol = try! JID("e15c8a3f@meet.jitsi/r3")

private func join(_ nick: String, from: JID) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    element.append(XMLElement(name: "x", namespace: Namespace.muc))
    return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
}

private func conference() -> RoomState {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    var state = RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
    _ = state.handle(join("focus", from: focus))
    _ = state.handle(join("alice", from: alice))
    _ = state.handle(join("bob", from: bob))
    state.affiliations[alice.bare] = .owner
    state.occupants["alice"]?.role = .moderator
    return state
}

/// Jitsi's `mod_end_conference` at the room: moderators end the meeting for all, with Jitsi's reason.
@Suite struct EndConferenceTests {
    @Test func aModeratorEndsTheMeetingForEveryoneWithJitsisReason() throws {
        var state = conference()
        let out = try state.endConference(by: alice).get()
        #expect(state.destroyed && state.isEmpty)
        #expect(Set(out.compactMap(\.to)) == [focus, alice, bob])
        for presence in out {
            #expect(presence.kind == .presence && presence.type == "unavailable")
            let destroy = presence.element.child("x", namespace: Namespace.mucUser)?.child(
                "destroy",
                namespace: Namespace.mucUser
            )
            #expect(destroy?.child("reason", namespace: Namespace.mucUser)?.text == "The meeting has been terminated")
        }
    }

    @Test func participantsAndOutsidersAreRefusedAndTheRoomGoesOn() {
        var state = conference()
        guard case .failure(let notModerator) = state.endConference(by: bob) else {
            Issue.record("a participant ended the meeting")
            return
        }
        #expect(notModerator.condition == .forbidden && notModerator.text?.isEmpty == false)
        guard case .failure(let outsider) = state.endConference(by: carol) else {
            Issue.record("an outsider ended the meeting")
            return
        }
        #expect(outsider.condition == .itemNotFound)
        #expect(!state.destroyed && state.occupants.count == 3)
    }
}
