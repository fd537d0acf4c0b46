import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")

private func join(_ nick: String, from: JID) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    element.append(XMLElement(name: "x", namespace: Namespace.muc))
    return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
}

/// Jitsi's `token_affiliation` at the room: a token's moderator flag makes its session an owner on entering.
@Suite struct TokenAffiliationTests {
    @Test func aTokenModeratorEntersAsOwnerAndAnOutcastStaysOut() {
        var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
        s.admins = [focus.bare]
        var state = RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
        _ = state.handle(join("focus", from: focus))
        state.tokenModeratorJoining(alice)
        let out = state.handle(join("alice", from: alice))
        let own = out.first { $0.to == alice && $0.kind == .presence }
        let item = own?.element.child("x", namespace: Namespace.mucUser)?.child("item", namespace: Namespace.mucUser)
        #expect(item?[attribute: "affiliation"] == "owner" && item?[attribute: "role"] == "moderator")
        state.affiliations[bob.bare] = .outcast
        state.tokenModeratorJoining(bob)
        #expect(state.affiliation(of: bob) == .outcast)
    }
}
