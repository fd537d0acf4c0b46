import Foundation
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
            guard case .invalid(let e, _) = error else {
                Issue.record("wrong error")
                return
            }
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

    @Test func broadcastCopiesShareBytesAndStayIndependent() throws {
        var template = try Stanza(element("<presence from='room@muc.meet.jitsi/alice'><status>hi</status></presence>"))
        template.prepareBroadcast()
        let bob = try JID("bob@meet.jitsi/b1")
        let carol = try JID("carol@meet.jitsi/c1")
        let toBob = template.addressed(to: bob)
        var toCarol = template.addressed(to: carol)
        #expect(toBob.serialized === template.serialized)
        #expect(toBob.to == bob && toCarol.to == carol && template.to == nil)
        // The element as written out carries each copy's own `to`.
        #expect(toBob.element[attribute: "to"] == "bob@meet.jitsi/b1")
        #expect(toCarol.element[attribute: "to"] == "carol@meet.jitsi/c1")
        #expect(template.element[attribute: "to"] == nil)
        // Changing one copy leaves the others alone and drops its shared bytes.
        toCarol.withElement { $0[attribute: "id"] = "x" }
        #expect(
            toCarol.serialized == nil && toCarol.id == "x" && toCarol.element[attribute: "to"] == "carol@meet.jitsi/c1"
        )
        #expect(toBob.id == nil && template.id == nil && toBob.serialized != nil)
        var bytes: [UInt8] = []
        toBob.serialized?.write(to: toBob.to, declareNamespace: false, into: &bytes)
        let written = String(decoding: bytes, as: UTF8.self)
        #expect(written.contains(" to='bob@meet.jitsi/b1'"))
        #expect(
            written.replacingOccurrences(of: " to='bob@meet.jitsi/b1'", with: "")
                == template.element.xmlString(inheritedNamespace: Namespace.client)
        )
    }

    @Test func recipientResourcesAreEscapedInSplicedBytes() throws {
        var template = try Stanza(element("<message type='groupchat' from='r@muc.x/n'><body>b</body></message>"))
        template.prepareBroadcast()
        let odd = try JID("u@x/it's<&>")
        var bytes: [UInt8] = []
        template.serialized?.write(to: odd, declareNamespace: true, into: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("<message xmlns='jabber:client' to='u@x/it&apos;s&lt;&amp;&gt;'"))
    }
}
