import Foundation
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let component = try! JID("avmoderation.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let carol = try! JID("e15c8a3f@meet.jitsi/r3")

private func join(_ nick: String, from: JID) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    element.append(XMLElement(name: "x", namespace: Namespace.muc))
    return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
}

private func command(_ attributes: [(String, String)]) throws -> AVModerationCommand {
    try AVModerationCommand(XMLElement("av_moderation", ns: Namespace.client, attributes))
}

/// focus (admin, moderator), alice (moderator: owner), bob (participant).
private func conference(component: JID? = component) -> RoomState {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    s.avModerationComponent = component
    var state = RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
    _ = state.handle(join("focus", from: focus))
    _ = state.handle(join("alice", from: alice))
    _ = state.handle(join("bob", from: bob))
    state.affiliations[alice.bare] = .owner
    state.occupants["alice"]?.role = .moderator
    return state
}

/// The JSON of each notice, by recipient.
private func notices(_ out: [Stanza]) -> [(to: JID, json: [String: Any])] {
    out.compactMap { stanza in
        guard stanza.from == component, let to = stanza.to,
            let text = stanza.element.child("json-message", namespace: "http://jitsi.org/jitmeet")?.text,
            let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        return (to, json)
    }
}

/// Jitsi's audio/video moderation at the room (`mod_av_moderation_component`).
@Suite struct AVModerationTests {
    @Test func commandsParseAsLibJitsiMeetSendsThem() throws {
        #expect(try command([("enable", "true"), ("mediaType", "audio")]) == .enable(.audio, true))
        #expect(try command([("enable", "false"), ("mediaType", "desktop")]) == .enable(.desktop, false))
        let occupant = try JID("weeklysync@muc.meet.jitsi/b7e20d94")
        #expect(
            try command([("mediaType", "video"), ("jidToWhitelist", occupant.description)])
                == .approve(.video, occupant: occupant)
        )
        #expect(
            try command([("mediaType", "video"), ("jidToBlacklist", occupant.description)])
                == .reject(.video, occupant: occupant)
        )
        for bad in [
            [("enable", "true")], [("enable", "yes"), ("mediaType", "audio")], [("mediaType", "smell")],
            [("mediaType", "audio")], [("mediaType", "audio"), ("jidToWhitelist", "not a jid@@")],
        ] {
            #expect(throws: StanzaError.self) { try command(bad) }
        }
    }

    @Test func enablingTellsEveryoneAndGivesModeratorsTheWhitelist() throws {
        var state = conference()
        let out = notices(try state.avModeration(.enable(.audio, true), from: alice).get())
        let enabled = out.filter { $0.json["enabled"] as? Bool == true }
        #expect(Set(enabled.map(\.to)) == [focus, alice, bob])
        for notice in enabled {
            #expect(notice.json["type"] as? String == "av_moderation")
            #expect(notice.json["room"] as? String == roomJID.description)
            #expect(notice.json["actor"] as? String == "alice")
            #expect(notice.json["mediaType"] as? String == "audio")
        }
        let lists = out.filter { $0.json["whitelists"] != nil }
        #expect(Set(lists.map(\.to)) == [focus, alice], "moderators only (Jicofo among them)")
        #expect(state.avModerationState.isModerated(.audio))
        // A second enable from another moderator changes nothing.
        #expect(try state.avModeration(.enable(.audio, true), from: focus).get().isEmpty)
    }

    @Test func approvingAndRejectingReachTheModeratorsAndTheParticipant() throws {
        var state = conference()
        _ = try state.avModeration(.enable(.audio, true), from: alice).get()
        let bobOccupant = try roomJID.with(resource: "bob")
        let approved = notices(try state.avModeration(.approve(.audio, occupant: bobOccupant), from: alice).get())
        let toBob = try #require(approved.first { $0.to == bob })
        #expect(toBob.json["approved"] as? Bool == true && toBob.json["whitelists"] == nil)
        let toFocus = try #require(approved.first { $0.to == focus })
        #expect((toFocus.json["whitelists"] as? [String: [String]])?["audio"] == [bobOccupant.description])
        #expect(state.avModerationState.whitelists[.audio] == [bobOccupant.description])

        let rejected = notices(try state.avModeration(.reject(.audio, occupant: bobOccupant), from: alice).get())
        #expect(rejected.first { $0.to == bob }?.json["removed"] as? Bool == true)
        #expect((rejected.first { $0.to == alice }?.json["whitelists"] as? [String: [String]])?["audio"] == [])
        // Rejecting again: nothing to take back.
        #expect(try state.avModeration(.reject(.audio, occupant: bobOccupant), from: alice).get().isEmpty)
    }

    @Test func askingToUnmuteWithoutModerationTellsOnlyThatParticipant() throws {
        var state = conference()
        let out = notices(
            try state.avModeration(.approve(.video, occupant: try roomJID.with(resource: "bob")), from: alice).get()
        )
        #expect(out.count == 1 && out[0].to == bob)
        #expect(out[0].json["approved"] as? Bool == true && out[0].json["from"] as? String == "alice")
        #expect(!state.avModerationState.isActive)
    }

    @Test func joinersLearnTheStateAndNewOwnersTheWhitelist() throws {
        var state = conference()
        _ = try state.avModeration(.enable(.video, true), from: alice).get()
        let joined = notices(state.handle(join("carol", from: carol)))
        let toCarol = joined.filter { $0.to == carol }
        #expect(toCarol.count == 1)
        #expect(
            toCarol.first?.json["enabled"] as? Bool == true && toCarol.first?.json["mediaType"] as? String == "video"
        )
        #expect(toCarol.first?.json["actor"] as? String == "alice")
        // alice makes carol an owner: carol, now a moderator, gets the whitelists.
        var grant = XMLElement("iq", ns: Namespace.client, [("type", "set"), ("id", "g1")])
        var query = XMLElement(name: "query", namespace: Namespace.mucAdmin)
        query.append(
            XMLElement("item", ns: Namespace.mucAdmin, [("affiliation", "owner"), ("jid", carol.bare.description)])
        )
        grant.append(query)
        let out = notices(state.handle(Stanza(unchecked: grant, kind: .iq, from: alice, to: roomJID)))
        #expect(out.contains { $0.to == carol && $0.json["whitelists"] != nil })
        // Turning it off tells everyone; later joiners hear nothing.
        let off = notices(try state.avModeration(.enable(.video, false), from: alice).get())
        #expect(
            Set(off.map(\.to)) == [focus, alice, bob, carol] && off.allSatisfy { $0.json["enabled"] as? Bool == false }
        )
        let dave = try JID("d4e5f6a7@meet.jitsi/r4")
        #expect(notices(state.handle(join("dave", from: dave))).isEmpty)
    }

    @Test func participantsOutsidersAndUnknownOccupantsAreRefused() throws {
        var state = conference()
        guard case .failure(let participant) = state.avModeration(.enable(.audio, true), from: bob) else {
            Issue.record("a participant enabled moderation")
            return
        }
        #expect(participant.condition == .forbidden)
        guard case .failure(let outsider) = state.avModeration(.enable(.audio, true), from: carol) else {
            Issue.record("an outsider enabled moderation")
            return
        }
        #expect(outsider.condition == .itemNotFound)
        let nobody = try roomJID.with(resource: "nobody")
        guard case .failure(let unknown) = state.avModeration(.approve(.audio, occupant: nobody), from: alice) else {
            Issue.record("an absent occupant was approved")
            return
        }
        #expect(unknown.condition == .itemNotFound)
        let elsewhere = try JID("otherroom@muc.meet.jitsi/bob")
        guard case .failure = state.avModeration(.approve(.audio, occupant: elsewhere), from: alice) else {
            Issue.record("an occupant of another room was approved")
            return
        }
        var off = conference(component: nil)
        guard case .failure(let disabled) = off.avModeration(.enable(.audio, true), from: alice) else {
            Issue.record("moderation without its component")
            return
        }
        #expect(disabled.condition == .serviceUnavailable)
        #expect(!state.avModerationState.isActive)
    }
}
