import Foundation
import NIOHTTP1
import ParleyCore
import ParleyMUC
import ParleyXML
import Testing

@testable import ParleyServer

@Suite("Control API: events, requests and room changes")
struct ControlEventTests {
    let room = try! JID("weeklysync@muc.meet.jitsi")
    let alice = try! JID("3f9a1c7e@meet.jitsi")
    let aliceSession = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")

    func facts(_ nick: String, _ role: Role, _ affiliation: Affiliation = .none) -> MUCOccupantFacts {
        MUCOccupantFacts(
            nick: nick,
            realJID: self.alice,
            sessions: [self.aliceSession],
            role: role,
            affiliation: affiliation
        )
    }

    @Test("an event is one Server-Sent Event: id, event, one data line of JSON, a blank line")
    func serverSentEvent() {
        var event = ControlEvent(
            .roleChanged(room: self.room, occupant: self.facts("3f9a1c7e", .moderator), from: .participant)
        )
        event.sequence = 7
        event.millis = 1_787_303_615_862
        #expect(
            event.serverSentEvent == """
                id: 7
                event: role_changed
                data: {"affiliation":"none","jid":"3f9a1c7e@meet.jitsi","kind":"role_changed","nick":"3f9a1c7e","previous_role":"participant",\
                "role":"moderator","room":"weeklysync@muc.meet.jitsi","seq":7,"sessions":["3f9a1c7e@meet.jitsi/6c1d9e0b"],\
                "time":1787303615862}


                """
        )
    }

    @Test("a routed stanza's event: its envelope, its children's namespaces, the fault; text never breaks the line")
    func stanzaEvent() throws {
        var element = XMLElement("message", ns: Namespace.client, [("type", "chat"), ("id", "a\nb")])
        var body = XMLElement(name: "body", namespace: Namespace.client)
        body.append(text: "two\nlines")
        element.append(body)
        let stanza = Stanza(unchecked: element, kind: .message, from: self.aliceSession, to: try JID("b@meet.jitsi/r"))
        var event = ControlEvent.routed(stanza, fault: "drop")
        event.sequence = 1
        let text = event.serverSentEvent
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 5)
        #expect(
            JSONValue.text(event.json)
                == #"{"fault":"drop","kind":"stanza","seq":1,"stanza":{"from":"3f9a1c7e@meet.jitsi/6c1d9e0b","id":"a\nb","kind":"message","namespaces":["jabber:client"],"to":"b@meet.jitsi/r","type":"chat"},"time":0}"#
        )
    }

    @Test("room changes between two views: leaves, then role and affiliation changes, then joins")
    func changes() {
        let before = ["a": self.facts("a", .participant), "b": self.facts("b", .participant)]
        let after = ["b": self.facts("b", .moderator, .admin), "c": self.facts("c", .participant)]
        let changes = RoomState.changes(room: self.room, from: before, to: after)
        #expect(
            changes == [
                .left(room: self.room, occupant: self.facts("a", .participant)),
                .affiliationChanged(room: self.room, occupant: self.facts("b", .moderator, .admin), from: .none),
                .roleChanged(room: self.room, occupant: self.facts("b", .moderator, .admin), from: .participant),
                .joined(room: self.room, occupant: self.facts("c", .participant)),
            ]
        )
        #expect(RoomState.changes(room: self.room, from: after, to: after).isEmpty)
    }

    @Test("requests under /control: segments percent-decoded, query decoded; others are not the API's")
    func requests() throws {
        let request = try #require(
            ControlRequest(
                method: .GET,
                uri: "/control/rooms/weekly%40muc.meet.jitsi?kinds=joined%2Cleft&room=a+b&flag",
                body: []
            )
        )
        #expect(request.segments == ["rooms", "weekly@muc.meet.jitsi"])
        #expect(request.query == ["kinds": "joined,left", "room": "a b", "flag": ""])
        #expect(ControlRequest(method: .GET, uri: "/control", body: [])?.segments == [])
        #expect(ControlRequest(method: .GET, uri: "/controller", body: []) == nil)
        #expect(ControlRequest(method: .GET, uri: "/metrics", body: []) == nil)
    }

    @Test("request bodies: empty is an empty object, anything else must be JSON")
    func bodies() throws {
        #expect(try ControlJSON.body([]) == .object([:]))
        #expect(try ControlJSON.body(Array(" \n".utf8)) == .object([:]))
        #expect(try ControlJSON.body(Array(#"{"count":2}"#.utf8))["count"] == .number(2))
        #expect(throws: ControlRequestError.self) { try ControlJSON.body(Array("{count".utf8)) }
        #expect(ControlJSON.integer(.number(3)) == 3)
        #expect(ControlJSON.integer(.number(3.5)) == nil)
        #expect(ControlJSON.integer(.string("3")) == nil)
        #expect(ControlJSON.integer(.number(1e300)) == nil)
    }
}
