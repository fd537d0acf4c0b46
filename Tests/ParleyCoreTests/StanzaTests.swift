import ParleyXML
import Testing

@testable import ParleyCore

private func element(_ xml: String) throws -> XMLElement {
    let parser = XMLStreamParser()
    var found: XMLElement?
    try parser.feed(
        Array(("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + xml).utf8)
    ) { event in
        if case .element(let e) = event { found = e }
    }
    return try #require(found)
}

@Suite struct StanzaTests {
    @Test func iqShapeIsValidated() throws {
        #expect(try Stanza(element("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>")).kind == .iq)
        for bad in [
            "<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
            "<iq type='get' id='1'/>",
            "<iq type='get' id='1'><a xmlns='x'/><b xmlns='y'/></iq>",
            "<iq type='weird' id='1'><a xmlns='x'/></iq>",
            "<iq id='1'><a xmlns='x'/></iq>",
        ] {
            #expect(throws: StanzaValidationError.self, "\(bad)") { try Stanza(element(bad)) }
        }
    }

    @Test func invalidAddressesAreJidMalformed() throws {
        let message = try element("<message to='a@b@c'><body>x</body></message>")
        do throws(StanzaValidationError) {
            _ = try Stanza(message)
            Issue.record("accepted a@b@c")
        } catch {
            guard case .invalid(let e, _) = error else { Issue.record("wrong error"); return }
            #expect(e.condition == .jidMalformed)
            #expect(e.type == .modify)
        }
    }

    @Test func nonStanzasAreRefused() throws {
        #expect(throws: StanzaValidationError.notAStanza) { try Stanza(element("<foo/>")) }
        #expect(throws: StanzaValidationError.notAStanza) { try Stanza(element("<message xmlns='jabber:server'/>")) }
    }

    @Test func errorReplySwapsAddressesAndKeepsTheId() throws {
        let stanza = try Stanza(element("<iq type='get' id='x1' from='a@b/c' to='b'><q xmlns='urn:unknown'/></iq>"))
        let reply = stanza.errorReply(StanzaError(.serviceUnavailable))
        #expect(reply.to?.description == "a@b/c")
        #expect(reply.from?.description == "b")
        #expect(reply.id == "x1")
        #expect(reply.type == "error")
        let error = try #require(reply.element.child("error"))
        #expect(StanzaError(element: error) == StanzaError(.serviceUnavailable, type: .cancel))
    }

    @Test func jitsiPresencePayloadIsUntouchedWhenAddressesChange() throws {
        let presence = try element(
            "<presence to='weeklysync@muc.meet.jitsi/3f9a1c7e'><x xmlns='http://jabber.org/protocol/muc'/><stats-id>R</stats-id><SourceInfo>{\"a\":1}</SourceInfo></presence>"
        )
        var stanza = try Stanza(presence)
        stanza.from = try JID("u@meet.jitsi/r")
        #expect(stanza.element.children == presence.children)
        #expect(stanza.element[attribute: "from"] == "u@meet.jitsi/r")
    }
}
