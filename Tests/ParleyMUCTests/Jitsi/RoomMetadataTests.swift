import Foundation
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let component = try! JID("metadata.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let carol = try! JID("e15c8a3f@meet.jitsi/r3")

private func join(_ nick: String, from: JID) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    element.append(XMLElement(name: "x", namespace: Namespace.muc))
    return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
}

private func command(_ json: String, room: JID = roomJID) throws -> RoomMetadataCommand? {
    var message = XMLElement(name: "message", namespace: Namespace.client)
    var element = XMLElement("room_metadata", ns: "http://jitsi.org/jitmeet", [("room", room.description)])
    element.append(text: json)
    message.append(element)
    return try RoomMetadataCommand(message: message)
}

private func metadata(_ out: [Stanza], to: JID) -> [String: Any]? {
    guard let stanza = out.first(where: { $0.from == component && $0.to == to }),
        let element = stanza.element.child("json-message", namespace: "http://jitsi.org/jitmeet"),
        element[attribute: "room"] == roomJID.description,
        let json = try? JSONSerialization.jsonObject(with: Data(element.text.utf8)) as? [String: Any],
        json["type"] as? String == "room_metadata"
    else { return nil }
    return json["metadata"] as? [String: Any]
}

private func conference() -> RoomState {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    s.roomMetadataComponent = component
    var state = RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
    _ = state.handle(join("focus", from: focus))
    _ = state.handle(join("alice", from: alice))
    _ = state.handle(join("bob", from: bob))
    state.affiliations[alice.bare] = .owner
    state.occupants["alice"]?.role = .moderator
    return state
}

/// Jitsi's room metadata at the room (`mod_room_metadata_component`).
@Suite struct RoomMetadataTests {
    @Test func joinersGetTheMetadataAndModeratorsChangeIt() throws {
        var state = conference()
        let first = metadata(state.handle(join("carol", from: carol)), to: carol)
        #expect(first?.isEmpty == true, "an empty store is sent too, as the module does")
        let update = try #require(
            try command(#"{"key":"whiteboard","data":{"collabServerUrl":"https://wb.example/x","open":true}}"#)
        )
        let out = try state.roomMetadata(update, from: alice).get()
        #expect(Set(out.compactMap(\.to)) == [focus, alice, bob, carol])
        let seen = try #require(metadata(out, to: bob))
        #expect((seen["whiteboard"] as? [String: Any])?["open"] as? Bool == true)
        // Jicofo (an admin) gets the moderators list with it.
        #expect(metadata(out, to: focus)?["moderators"] != nil && seen["moderators"] == nil)
        // The same value again changes nothing.
        #expect(try state.roomMetadata(update, from: alice).get().isEmpty)
        let dave = try JID("d4e5f6a7@meet.jitsi/r4")
        #expect((metadata(state.handle(join("dave", from: dave)), to: dave)?["whiteboard"]) != nil)
    }

    @Test func badUpdatesAreRefused() throws {
        var state = conference()
        let fine = try #require(try command(#"{"key":"startMuted","data":{"audio":true}}"#))
        guard case .failure(let participant) = state.roomMetadata(fine, from: bob) else {
            Issue.record("a participant changed the metadata")
            return
        }
        #expect(participant.condition == .forbidden)
        let blocked = try #require(try command(#"{"key":"participants","data":[]}"#))
        guard case .failure(let server) = state.roomMetadata(blocked, from: alice) else {
            Issue.record("a blocked key was set")
            return
        }
        #expect(server.condition == .forbidden)
        for bad in ["not json", #"{"key":1,"data":2}"#, #"{"key":"k"}"#, #"{"key":"k","data":null}"#] {
            #expect(throws: StanzaError.self, "\(bad)") { try command(bad) }
        }
        let megabyte = #"{"key":"k","data":""# + String(repeating: "x", count: 1 << 20) + #""}"#
        #expect { try command(megabyte) } throws: { ($0 as? StanzaError)?.condition == .policyViolation }
        // Many large keys: the whole store is bounded.
        var refused = false
        for i in 0..<10 {
            let big = try #require(
                try command(#"{"key":"k\#(i)","data":""# + String(repeating: "y", count: 15_000) + #""}"#)
            )
            if case .failure(let error) = state.roomMetadata(big, from: alice) {
                #expect(error.condition == .policyViolation)
                refused = true
                break
            }
        }
        #expect(refused)
    }
}

/// The legacy `<startmuted/>` presence of older clients, turned into `startMuted` metadata.
@Suite struct StartMutedShimTests {
    private func presence(_ nick: String, from: JID, audio: String, video: String) -> Stanza {
        var element = XMLElement(name: "presence", namespace: Namespace.client)
        element.append(
            XMLElement("startmuted", ns: RoomState.startMutedNamespace, [("audio", audio), ("video", video)])
        )
        return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
    }

    @Test func aModeratorsStartMutedSetsTheMetadataOnce() {
        var state = conference()
        let out = state.handle(self.presence("alice", from: alice, audio: "true", video: "false"))
        let seen = metadata(out, to: bob)?["startMuted"] as? [String: Bool]
        #expect(seen == ["audio": true, "video": false])
        // The same values again: no second broadcast.
        let again = state.handle(self.presence("alice", from: alice, audio: "true", video: "false"))
        #expect(metadata(again, to: bob) == nil)
        #expect(!again.isEmpty, "the presence itself still goes out")
    }

    @Test func aParticipantsIsIgnored() {
        var state = conference()
        let out = state.handle(self.presence("bob", from: bob, audio: "true", video: "true"))
        #expect(metadata(out, to: alice) == nil)
        #expect(state.roomMetadataState.values["startMuted"] == nil)
    }
}
