import Foundation
import NIOCore
import ParleyCore
import ParleyTestSupport
import ParleyXML
import Testing

@testable import ParleyServer

private func parse(_ xml: String) -> XMLElement {
    let parser = XMLStreamParser(configuration: .init(maxStanzaBytes: 1 << 20))
    var found: XMLElement?
    try? parser.feed(
        Array(("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + xml).utf8)
    ) {
        if case .element(let e) = $0 { found = e }
    }
    return found ?? XMLElement(name: "invalid", namespace: "")
}

private func fixture(_ name: String, from: String) -> Stanza {
    var stanza = try! Stanza(parse(String(decoding: Fixtures.bytes(name), as: UTF8.self)))
    stanza.from = try! JID(from)
    return stanza
}

private func json(_ text: String) -> JSONValue { try! JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

@Suite("Control API: stanza matches, faults and event filters")
struct ControlFilterTests {
    /// Jicofo's conference IQ from a browser, through the focus proxy (Tests/Fixtures/jitsi).
    let conference = fixture("conference-iq-request.xml", from: "3f9a1c7e@meet.jitsi/6c1d9e0b")
    /// lib-jitsi-meet's join presence.
    let join = fixture("participant-join-presence.xml", from: "3f9a1c7e@meet.jitsi/6c1d9e0b")

    @Test("every field given must match; none matches everything")
    func fieldsMatch() throws {
        #expect(StanzaMatch().matches(self.conference))
        let focusIQ = try StanzaMatch(fields: [
            "kind": "iq", "type": "set", "namespace": "http://jitsi.org/protocol/focus", "to": "focus.meet.jitsi",
        ])
        #expect(focusIQ.matches(self.conference))
        #expect(!focusIQ.matches(self.join))
        #expect(!(try StanzaMatch(fields: ["type": "get"])).matches(self.conference))
        // Any child's namespace: the join's caps element is not its first child.
        #expect(try StanzaMatch(fields: ["namespace": "http://jabber.org/protocol/caps"]).matches(self.join))
        #expect(!(try StanzaMatch(fields: ["namespace": "urn:xmpp:jingle:1"])).matches(self.join))
    }

    @Test("a full JID names one session, a bare JID its account or room, a domain everything on it")
    func addresses() throws {
        let session = try JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
        #expect(StanzaMatch.address(session, matches: try JID("3f9a1c7e@meet.jitsi/6c1d9e0b")))
        #expect(!StanzaMatch.address(session, matches: try JID("3f9a1c7e@meet.jitsi/other")))
        #expect(StanzaMatch.address(session, matches: try JID("3f9a1c7e@meet.jitsi")))
        #expect(StanzaMatch.address(session, matches: try JID("meet.jitsi")))
        #expect(!StanzaMatch.address(session, matches: try JID("auth.meet.jitsi")))
        #expect(!StanzaMatch.address(nil, matches: try JID("meet.jitsi")))
        #expect(try StanzaMatch(fields: ["from": "meet.jitsi"]).matches(self.join))
        #expect(!(try StanzaMatch(fields: ["to": "muc.meet.jitsi"])).matches(self.conference))
    }

    @Test("unknown keys, kinds and addresses are refused with a message naming them")
    func refusals() {
        #expect(throws: ControlRequestError.self) { try StanzaMatch(fields: ["colour": "red"]) }
        #expect(throws: ControlRequestError("kind must be message, presence or iq, not 'mail'")) {
            try StanzaMatch(fields: ["kind": "mail"])
        }
        #expect(throws: ControlRequestError.self) { try StanzaMatch(fields: ["to": "a@b@c"]) }
    }

    @Test("a fault rule from its JSON body, and back")
    func faultRule() throws {
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let rule = try StanzaFault(
            json: json(
                #"{"action":"delay","delay_ms":800,"seconds":10,"match":{"kind":"presence","to":"muc.meet.jitsi"}}"#
            ),
            id: 3,
            now: now
        )
        #expect(rule.action == .delay(milliseconds: 800))
        #expect(rule.expires == now + .seconds(10))
        #expect(rule.match == StanzaMatch(kind: .presence, to: try JID("muc.meet.jitsi")))
        #expect(
            JSONValue.text(rule.json(now: now + .seconds(4)))
                == #"{"action":"delay","delay_ms":800,"id":3,"match":{"kind":"presence","to":"muc.meet.jitsi"},"seconds_left":6}"#
        )
        let unavailable = try StanzaFault(
            json: json(#"{"action":"service-unavailable","match":{"to":"focus.meet.jitsi"}}"#),
            id: 1,
            now: now
        )
        #expect(unavailable.action == .serviceUnavailable && unavailable.expires == now + .seconds(30))
    }

    @Test(
        "bad fault bodies are refused",
        arguments: [
            #"[]"#, #"{"action":"explode"}"#, #"{"action":"delay"}"#, #"{"action":"delay","delay_ms":0}"#,
            #"{"action":"drop","delay_ms":5}"#, #"{"action":"drop","seconds":0}"#, #"{"action":"drop","seconds":3601}"#,
            #"{"action":"drop","seconds":1.5}"#, #"{"action":"drop","match":[]}"#,
            #"{"action":"drop","match":{"to":1}}"#,
            #"{"action":"drop","why":"x"}"#,
        ]
    )
    func badFaults(body: String) {
        #expect(throws: ControlRequestError.self) { try StanzaFault(json: json(body), id: 1, now: .now()) }
    }

    @Test("an event filter from the query: kinds (all but stanza by default), room, jid, stanza fields")
    func eventFilter() throws {
        let room = try JID("weeklysync@muc.meet.jitsi")
        let alice = try JID("3f9a1c7e@meet.jitsi")
        var joined = ControlEvent(kind: .joined, room: room, jid: alice)
        joined.sessions = [try JID("3f9a1c7e@meet.jitsi/6c1d9e0b")]
        let stanza = ControlEvent.routed(self.conference, fault: nil)

        let everything = try ControlEventFilter(query: [:])
        #expect(everything.matches(joined) && !everything.matches(stanza) && !everything.wantsStanzas)
        let byRoom = try ControlEventFilter(query: ["room": "weeklysync@muc.meet.jitsi", "kinds": "joined,left"])
        #expect(byRoom.matches(joined))
        #expect(!(try ControlEventFilter(query: ["room": "other@muc.meet.jitsi"])).matches(joined))
        #expect(!(try ControlEventFilter(query: ["kinds": "left"])).matches(joined))
        #expect(try ControlEventFilter(query: ["jid": "3f9a1c7e@meet.jitsi/6c1d9e0b"]).matches(joined))
        #expect(!(try ControlEventFilter(query: ["jid": "auth.meet.jitsi"])).matches(joined))

        let focusIQs = try ControlEventFilter(query: [
            "kinds": "stanza", "namespace": "http://jitsi.org/protocol/focus",
        ])
        #expect(focusIQs.wantsStanzas && focusIQs.matches(stanza) && !focusIQs.matches(joined))
        #expect(!(try ControlEventFilter(query: ["kinds": "stanza", "stanza_kind": "message"])).matches(stanza))
        #expect(try ControlEventFilter(query: ["kinds": "stanza", "jid": "meet.jitsi"]).matches(stanza))
    }

    @Test("bad filters are refused", arguments: [["kinds": "nonsense"], ["colour": "blue"], ["room": "a@b@c"]])
    func badFilters(query: [String: String]) {
        #expect(throws: ControlRequestError.self) { try ControlEventFilter(query: query) }
    }
}
