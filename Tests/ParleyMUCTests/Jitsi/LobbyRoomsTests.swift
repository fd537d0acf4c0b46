import Foundation
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let lobbyJID = try! JID("weeklysync@lobby.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let carol = try! JID("e15c8a3f@meet.jitsi/r3")
private let recorder = try! JID("recorder@recorder.meet.jitsi/rec")

private func presence(
    to: JID,
    from: JID,
    display: String? = nil,
    password: String? = nil,
    type: String? = nil
) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    if let type { element[attribute: "type"] = type }
    var x = XMLElement(name: "x", namespace: Namespace.muc)
    if let password {
        var p = XMLElement(name: "password", namespace: Namespace.muc)
        p.append(text: password)
        x.append(p)
    }
    if type == nil { element.append(x) }
    if let display {
        var n = XMLElement(name: "nick", namespace: Namespace.nick)
        n.append(text: display)
        element.append(n)
    }
    return Stanza(unchecked: element, kind: .presence, from: from, to: to)
}

private func ownerSubmit(_ fields: [(String, String)], from: JID) -> Stanza {
    var form = XMLElement("x", ns: Namespace.dataForms, [("type", "submit")])
    for (name, value) in [("FORM_TYPE", Namespace.mucRoomConfig)] + fields {
        var field = XMLElement("field", ns: Namespace.dataForms, [("var", name)])
        var v = XMLElement(name: "value", namespace: Namespace.dataForms)
        v.append(text: value)
        field.append(v)
        form.append(field)
    }
    var query = XMLElement(name: "query", namespace: Namespace.mucOwner)
    query.append(form)
    var iq = XMLElement("iq", ns: Namespace.client, [("type", "set"), ("id", "cfg")])
    iq.append(query)
    return Stanza(unchecked: iq, kind: .iq, from: from, to: roomJID)
}

private func errorChild(_ s: Stanza) -> XMLElement? { s.element.child("error") }

/// A conference with focus and alice (owner, moderator); lobby on `lobby.meet.jitsi`.
private func conference() -> RoomState {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    s.lobbyDomain = "lobby.meet.jitsi"
    s.lobbyWhitelist = [try! JID("recorder.meet.jitsi")]
    var state = RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
    _ = state.handle(presence(to: try! roomJID.with(resource: "focus"), from: focus))
    _ = state.handle(presence(to: try! roomJID.with(resource: "alice"), from: alice, display: "Alice"))
    state.affiliations[alice.bare] = .owner
    state.occupants["alice"]?.role = .moderator
    return state
}

private func lobbyNotices(_ out: [Stanza]) -> [(to: JID?, json: [String: Any])] {
    out.compactMap { s in
        guard s.kind == .message,
            let text = s.element.child("json-message", namespace: "http://jitsi.org/jitmeet")?.text,
            let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            json["type"] as? String == "lobby-notify"
        else { return nil }
        return (s.to, json)
    }
}

/// Jitsi's lobby (`mod_muc_lobby_rooms`) at the room.
@Suite struct LobbyRoomsTests {
    @Test func aModeratorMakingTheRoomMembersOnlyOpensTheLobby() {
        var state = conference()
        // The focus's own submission never opens a lobby.
        _ = state.handle(ownerSubmit([("muc#roomconfig_membersonly", "1")], from: focus))
        #expect(state.lobbyJID == nil)
        _ = state.handle(ownerSubmit([("muc#roomconfig_membersonly", "0")], from: focus))
        let out = state.handle(ownerSubmit([("muc#roomconfig_membersonly", "1")], from: alice))
        #expect(state.lobbyJID == lobbyJID)
        let enabled = lobbyNotices(out)
        #expect(Set(enabled.compactMap(\.to)) == [focus, alice])
        #expect(
            enabled.allSatisfy { $0.json["event"] as? String == "LOBBY-ENABLED" && $0.json["value"] as? Bool == true }
        )
        let aliceOccupant = try! roomJID.with(resource: "alice")
        #expect(out.contains { $0.from == aliceOccupant && $0.kind == .message })
        let form = state.discoInfo().child("x", namespace: Namespace.dataForms).flatMap(DataForm.init)
        #expect(form?["muc#roominfo_lobbyroom"]?.value == lobbyJID.description)
    }

    @Test func knockersAreSentToTheLobbyAndOnlyModeratorsSeeThem() throws {
        var state = conference()
        _ = state.handle(
            ownerSubmit([("muc#roomconfig_membersonly", "1"), ("muc#roomconfig_roomsecret", "pw")], from: alice)
        )
        // No display name: displayname-required.
        let nameless = state.handle(presence(to: try roomJID.with(resource: "bob"), from: bob))
        #expect(errorChild(nameless[0])?.child("not-acceptable", namespace: Namespace.stanzaErrors) != nil)
        #expect(
            errorChild(nameless[0])?.child("displayname-required", namespace: "http://jitsi.org/jitmeet")?[
                attribute: "lobby"
            ] == "true"
        )
        // A display name: registration-required naming the lobby.
        let knock = state.handle(presence(to: try roomJID.with(resource: "bob"), from: bob, display: "Bob"))
        #expect(errorChild(knock[0])?.child("registration-required", namespace: Namespace.stanzaErrors) != nil)
        #expect(
            errorChild(knock[0])?.child("lobbyroom", namespace: "http://jitsi.org/jitmeet")?.text
                == lobbyJID.description
        )
        // bob waits in the lobby; alice (an owner) is there too: she sees him, he does not see her.
        _ = state.lobbyStanza(
            presence(to: try lobbyJID.with(resource: "alice"), from: alice, display: "Alice"),
            nowMillis: 1
        )
        let waiting = state.lobbyStanza(
            presence(to: try lobbyJID.with(resource: "bob"), from: bob, display: "Bob"),
            nowMillis: 2
        )
        #expect(
            waiting.contains {
                $0.to == alice && $0.kind == .presence && $0.from == (try? lobbyJID.with(resource: "bob"))
            }
        )
        #expect(!waiting.contains { $0.to == bob && $0.from == (try? lobbyJID.with(resource: "alice")) })
        #expect(
            waiting.contains { $0.to == bob && $0.from == (try? lobbyJID.with(resource: "bob")) },
            "his own presence"
        )
        #expect(state.lobbyOccupants.keys.sorted() == ["alice", "bob"])
        // Knockers do not see each other.
        let carolIn = state.lobbyStanza(
            presence(to: try lobbyJID.with(resource: "carol"), from: carol, display: "Carol"),
            nowMillis: 3
        )
        #expect(!carolIn.contains { $0.to == carol && $0.from == (try? lobbyJID.with(resource: "bob")) })
        #expect(!carolIn.contains { $0.to == bob })
        // The password skips the lobby; so do the focus and the recorder's domain (as members).
        let withPassword = state.handle(
            presence(to: try roomJID.with(resource: "carol"), from: carol, display: "Carol", password: "pw")
        )
        #expect(withPassword.contains { $0.to == carol && $0.type == nil && $0.kind == .presence })
        #expect(state.affiliation(of: carol) == .member)
        state.configuration.password = nil
        let rec = state.handle(presence(to: try roomJID.with(resource: "rec"), from: recorder))
        #expect(rec.contains { $0.to == recorder && $0.type == nil })
    }

    @Test func anInvitationLetsAKnockerInAndAKickTurnsItAway() throws {
        var state = conference()
        _ = state.handle(ownerSubmit([("muc#roomconfig_membersonly", "1")], from: alice))
        // lib-jitsi-meet's moderators join the lobby to see who knocks.
        _ = state.lobbyStanza(
            presence(to: try lobbyJID.with(resource: "alice"), from: alice, display: "Alice"),
            nowMillis: 1
        )
        _ = state.lobbyStanza(presence(to: try lobbyJID.with(resource: "bob"), from: bob, display: "Bob"), nowMillis: 1)
        _ = state.lobbyStanza(
            presence(to: try lobbyJID.with(resource: "carol"), from: carol, display: "Carol"),
            nowMillis: 1
        )
        // lib-jitsi-meet's approveAccess: a mediated invitation to the knocker's real JID.
        var message = XMLElement(name: "message", namespace: Namespace.client)
        var x = XMLElement(name: "x", namespace: Namespace.mucUser)
        x.append(XMLElement("invite", ns: Namespace.mucUser, [("to", bob.description)]))
        message.append(x)
        let out = state.handle(Stanza(unchecked: message, kind: .message, from: alice, to: roomJID))
        #expect(
            out.contains {
                $0.to == bob && $0.from == roomJID
                    && $0.element.child("x", namespace: Namespace.mucUser)?.child(
                        "invite",
                        namespace: Namespace.mucUser
                    )?[attribute: "from"] == alice.description
            }
        )
        let granted = lobbyNotices(out).filter { $0.json["event"] as? String == "LOBBY-ACCESS-GRANTED" }
        #expect(
            !granted.isEmpty
                && granted.allSatisfy {
                    $0.json["value"] as? String == "weeklysync@lobby.meet.jitsi/bob"
                        && $0.json["name"] as? String == "Bob"
                }
        )
        #expect(state.affiliation(of: bob) == .member)
        let joined = state.handle(presence(to: try roomJID.with(resource: "bob"), from: bob, display: "Bob"))
        #expect(joined.contains { $0.to == bob && $0.type == nil && $0.kind == .presence })
        // lib-jitsi-meet's denyAccess: a kick from the lobby.
        var iq = XMLElement("iq", ns: Namespace.client, [("type", "set"), ("id", "deny")])
        var query = XMLElement(name: "query", namespace: Namespace.mucAdmin)
        query.append(XMLElement("item", ns: Namespace.mucAdmin, [("nick", "carol"), ("role", "none")]))
        iq.append(query)
        let deny = state.lobbyStanza(Stanza(unchecked: iq, kind: .iq, from: alice, to: lobbyJID), nowMillis: 2)
        #expect(deny.contains { $0.to == carol && $0.type == "unavailable" })
        let denied = lobbyNotices(deny).filter { $0.json["event"] as? String == "LOBBY-ACCESS-DENIED" }
        #expect(!denied.isEmpty && denied[0].json["name"] as? String == "Carol")
        // Participants may not invite into a members-only room.
        var sneaky = XMLElement(name: "message", namespace: Namespace.client)
        var sx = XMLElement(name: "x", namespace: Namespace.mucUser)
        sx.append(XMLElement("invite", ns: Namespace.mucUser, [("to", carol.description)]))
        sneaky.append(sx)
        let refused = state.handle(Stanza(unchecked: sneaky, kind: .message, from: bob, to: roomJID))
        #expect(refused.first.flatMap(errorChild)?.child("forbidden", namespace: Namespace.stanzaErrors) != nil)
    }

    @Test func theLobbyClosesWhenMembersOnlyEndsOrTheRoomEnds() throws {
        var state = conference()
        _ = state.handle(ownerSubmit([("muc#roomconfig_membersonly", "1")], from: alice))
        _ = state.lobbyStanza(presence(to: try lobbyJID.with(resource: "bob"), from: bob, display: "Bob"), nowMillis: 1)
        let off = state.handle(ownerSubmit([("muc#roomconfig_membersonly", "0")], from: alice))
        let closed = try #require(off.first { $0.to == bob && $0.type == "unavailable" })
        let destroy = closed.element.child("x", namespace: Namespace.mucUser)?.child(
            "destroy",
            namespace: Namespace.mucUser
        )
        #expect(destroy?[attribute: "jid"] == roomJID.description)
        #expect(destroy?.child("reason", namespace: Namespace.mucUser)?.text == "Lobby room closed.")
        #expect(state.lobbyJID == nil)
        #expect(
            lobbyNotices(off).contains {
                $0.json["event"] as? String == "LOBBY-ENABLED" && $0.json["value"] as? Bool == false
            }
        )
        // Open again, a knocker waits, and everyone leaves the main room: the lobby closes with it.
        _ = state.handle(ownerSubmit([("muc#roomconfig_membersonly", "1")], from: alice))
        _ = state.lobbyStanza(
            presence(to: try lobbyJID.with(resource: "carol"), from: carol, display: "Carol"),
            nowMillis: 2
        )
        _ = state.handle(presence(to: try roomJID.with(resource: "focus"), from: focus, type: "unavailable"))
        let last = state.handle(presence(to: try roomJID.with(resource: "alice"), from: alice, type: "unavailable"))
        #expect(state.destroyed)
        #expect(last.contains { $0.to == carol && $0.type == "unavailable" })
        // A stanza to a lobby that is gone is refused.
        var fresh = conference()
        let none = fresh.lobbyStanza(
            presence(to: try lobbyJID.with(resource: "dave"), from: carol, display: "Dave"),
            nowMillis: 3
        )
        #expect(none.first.flatMap(errorChild)?.child("item-not-found", namespace: Namespace.stanzaErrors) != nil)
    }
}
