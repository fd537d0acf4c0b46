import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let carol = try! JID("e15c8a3f@meet.jitsi/r3")

private func room(_ change: (inout MUCServiceConfiguration) -> Void = { _ in }) -> RoomState {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    s.restrictRoomCreation = false
    change(&s)
    return RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("secret".utf8))
}

private func join(_ nick: String, from: JID) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    element.append(XMLElement(name: "x", namespace: Namespace.muc))
    return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
}

private func ownerSubmit(_ fields: [(String, String)], from: JID, id: String = "c1") -> Stanza {
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
    var iq = XMLElement("iq", ns: Namespace.client, [("type", "set"), ("id", id)])
    iq.append(query)
    return Stanza(unchecked: iq, kind: .iq, from: from, to: roomJID)
}

private func selfPresence(_ out: [Stanza], to: JID) -> Stanza? {
    out.first { $0.kind == .presence && $0.to == to && statuses($0).contains("110") }
}

private func statuses(_ s: Stanza) -> [String] {
    s.element.child("x", namespace: Namespace.mucUser)?.elements.filter { $0.name == "status" }
        .compactMap { $0[attribute: "code"] } ?? []
}

private func item(_ s: Stanza?) -> XMLElement? { s?.element.child("x", namespace: Namespace.mucUser)?.child("item") }

/// Room creation (XEP-0045 §10.1), configuration change notices (§10.2.1) and the service's occupant cap.
@Suite struct RoomStateOwnershipTests {
    /// §10.1.1: whoever creates a room owns it; later joiners do not.
    @Test func theCreatorOfAnUnrestrictedRoomIsItsOwner() {
        var state = room()
        let created = selfPresence(state.handle(join("alice", from: alice)), to: alice)
        #expect(statuses(created!) == ["110", "100", "201"])
        #expect(item(created)?[attribute: "affiliation"] == "owner")
        #expect(item(created)?[attribute: "role"] == "moderator")
        let later = selfPresence(state.handle(join("bob", from: bob)), to: bob)
        #expect(statuses(later!) == ["110", "100"])
        #expect(item(later)?[attribute: "affiliation"] == "none")
        #expect(item(later)?[attribute: "role"] == "participant")
    }

    /// §10.2.1: a change of configuration reaches every occupant as status 104; a submission that changes
    /// nothing (Jicofo submits the form on every join) sends none.
    @Test func aConfigurationChangeIsAnnouncedWith104() {
        var state = room()
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("alice", from: alice))
        _ = state.handle(join("bob", from: bob))
        let out = state.handle(ownerSubmit([("muc#roomconfig_roomsecret", "s3cret")], from: focus))
        #expect(out.first?.type == "result")
        let notices = out.dropFirst()
        #expect(Set(notices.compactMap(\.to)) == [focus, alice, bob])
        for notice in notices {
            #expect(notice.kind == .message && notice.type == "groupchat")
            #expect(notice.from == roomJID)
            #expect(statuses(notice) == ["104"])
        }
        let again = state.handle(ownerSubmit([("muc#roomconfig_roomsecret", "s3cret")], from: focus, id: "c2"))
        #expect(again.count == 1 && again[0].type == "result")
        // Becoming non-anonymous says 172 too, in the same notice.
        state.configuration.whois = .moderators
        let whois = state.handle(ownerSubmit([("muc#roomconfig_whois", "anyone")], from: focus, id: "c3"))
        #expect(whois.dropFirst().allSatisfy { statuses($0) == ["104", "172"] })
        #expect(whois.count == 4)
    }

    /// §9.3/§10.2: a room made members-only removes its non-members with status 322; members and admins stay.
    @Test func membersOnlyRemovesNonMembersWith322() {
        var state = room()
        _ = state.handle(join("alice", from: alice))
        _ = state.handle(join("focus", from: focus))
        _ = state.handle(join("bob", from: bob))
        _ = state.handle(join("carol", from: carol))
        state.affiliations[carol.bare] = .member
        let out = state.handle(ownerSubmit([("muc#roomconfig_membersonly", "1")], from: alice))
        let gone = out.filter { $0.kind == .presence && $0.type == "unavailable" }
        #expect(
            !gone.isEmpty
                && gone.allSatisfy { $0.from == (try? roomJID.with(resource: "bob")) && statuses($0).contains("322") }
        )
        #expect(state.occupants.keys.sorted() == ["alice", "carol", "focus"])
    }

    /// Jitsi's `muc_max_occupants` is a cap no owner lifts through `muc#roomconfig_maxusers`.
    @Test func noOwnerCanLiftTheServiceCap() {
        var state = room { $0.maxOccupants = 2 }
        _ = state.handle(join("alice", from: alice))
        _ = state.handle(join("focus", from: focus))
        for lift in ["none", "1000", "0", ""] {
            let out = state.handle(ownerSubmit([("muc#roomconfig_maxusers", lift)], from: alice, id: "m-\(lift)"))
            #expect(out.first?.type == "result")
            #expect(state.effectiveMaxOccupants == 2)
        }
        _ = state.handle(join("bob", from: bob))
        let refused = state.handle(join("carol", from: carol))
        #expect(refused.count == 1 && refused[0].type == "error")
        #expect(refused[0].element.child("error")?.child("service-unavailable") != nil)
        // The form shows the limit in force and offers nothing above it.
        let form = state.configurationForm()
        #expect(form["muc#roomconfig_maxusers"]?.value == "2")
        #expect(state.maxUsersOptions.map(\.value) == ["2"])
        // Focus is exempt: neither counted nor refused.
        let focus2 = try! JID("focus@auth.meet.jitsi/second")
        #expect(selfPresence(state.handle(join("focus2", from: focus2)), to: focus2) != nil)
    }
}
