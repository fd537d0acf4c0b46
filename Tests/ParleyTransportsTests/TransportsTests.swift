import NIOCore
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyTransports

@Suite struct WebSocketXMPPCodecTests {
    private func decode(_ codec: WebSocketXMPPCodec, _ text: String) throws -> XMLStreamEvent {
        try Array(text.utf8).withUnsafeBytes { try codec.decode(frame: $0) }
    }

    @Test func openAndCloseMapToStreamEvents() throws {
        let codec = WebSocketXMPPCodec(maxStanzaBytes: 10_000)
        guard
            case .streamOpened(let header) = try decode(
                codec,
                "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='meet.jitsi' version='1.0'/>"
            )
        else {
            Issue.record("no header")
            return
        }
        #expect(header.namespace == Namespace.streams && header.defaultNamespace == Namespace.client)
        #expect(header[attribute: "to"] == "meet.jitsi")
        #expect(try decode(codec, "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>") == .streamClosed)
    }

    @Test func oneElementPerFrame() throws {
        let codec = WebSocketXMPPCodec(maxStanzaBytes: 10_000)
        guard
            case .element(let message) = try decode(
                codec,
                "<message xmlns='jabber:client' to='a@b'><body>x</body></message>"
            )
        else {
            Issue.record("no element")
            return
        }
        #expect(message.child("body")?.text == "x")
        #expect(throws: XMLStreamError.self) {
            try decode(codec, "<message xmlns='jabber:client'/><presence xmlns='jabber:client'/>")
        }
    }

    @Test func partialFramesAreRefused() {
        let codec = WebSocketXMPPCodec(maxStanzaBytes: 10_000)
        #expect(throws: XMLStreamError.self) { try decode(codec, "<message xmlns='jabber:client'>") }
    }

    @Test func oversizedFramesAreRefused() {
        let codec = WebSocketXMPPCodec(maxStanzaBytes: 100)
        #expect(throws: XMLStreamError.self) {
            try decode(
                codec,
                "<message xmlns='jabber:client'><body>" + String(repeating: "x", count: 500) + "</body></message>"
            )
        }
    }

    /// RFC 7395 §3.3.2's `<open/>`, with the host escaped, read back by the codec as a stream header.
    @Test func openAnswer() throws {
        let open = WebSocketXMPPCodec.open(id: "c2s-17", from: "meet.jitsi")
        #expect(
            String(decoding: open, as: UTF8.self)
                == "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='meet.jitsi' id='c2s-17' version='1.0' xml:lang='en'/>"
        )
        let odd = String(decoding: WebSocketXMPPCodec.open(id: "a'b", from: "x&y"), as: UTF8.self)
        #expect(odd.contains("from='x&amp;y' id='a&apos;b'"))
        let codec = WebSocketXMPPCodec(maxStanzaBytes: 10_000)
        guard case .streamOpened(let header) = try self.decode(codec, String(decoding: open, as: UTF8.self)) else {
            Issue.record("not read as a stream header")
            return
        }
        #expect(header.attributes.first { $0.name == "id" }?.value == "c2s-17")
    }

    @Test func encodingDeclaresNamespaces() {
        let stanza = XMLElement("message", ns: Namespace.client, [("to", "a@b")])
        #expect(
            String(decoding: WebSocketXMPPCodec.encode(stanza), as: UTF8.self)
                == "<message xmlns='jabber:client' to='a@b'/>"
        )
        var features = XMLElement(name: "features", namespace: Namespace.streams)
        features.append(XMLElement(name: "bind", namespace: Namespace.bind))
        #expect(
            String(decoding: WebSocketXMPPCodec.encode(features), as: UTF8.self)
                == "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
        )
    }
}

@Suite struct BOSHBodyTests {
    private func parse(_ text: String) throws -> BOSHBody {
        try Array(text.utf8).withUnsafeBytes { try BOSHBody(parsing: $0, maxBytes: 10_000) }
    }

    @Test func creationRequest() throws {
        let body = try parse(
            "<body rid='1573741820' to='meet.jitsi' wait='60' hold='1' ver='1.6' xmpp:version='1.0' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>"
        )
        #expect(body.rid == 1_573_741_820 && body.sid == nil)
        #expect(body[xmpp: "version"] == "1.0")
        #expect(body[attribute: "to"] == "meet.jitsi")
    }

    @Test func payloadRestartAndTerminate() throws {
        let body = try parse(
            "<body rid='2' sid='s' xmpp:restart='true' type='terminate' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'><message xmlns='jabber:client'/><iq xmlns='jabber:client' type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq></body>"
        )
        #expect(body.elements.map(\.name) == ["message", "iq"])
        #expect(body.isRestart && body.isTerminate)
    }

    @Test func notABOSHBody() {
        #expect(throws: XMLStreamError.self) { try parse("<body rid='1'/>") }
        #expect(throws: XMLStreamError.self) { try parse("<body xmlns='http://jabber.org/protocol/httpbind' rid='1'>") }
        #expect(throws: XMLStreamError.self) {
            try parse("<!DOCTYPE x><body xmlns='http://jabber.org/protocol/httpbind'/>")
        }
    }

    @Test("a response is the body element with its namespaces, its attributes escaped, and the payload as given")
    func responseBytes() {
        let opening =
            "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'"
            + " xmlns:stream='http://etherx.jabber.org/streams'"
        let empty = BOSHBody.response(attributes: [("sid", "a1"), ("authid", "x'<&\"")], payload: [])
        #expect(String(decoding: empty, as: UTF8.self) == opening + " sid='a1' authid='x&apos;&lt;&amp;&quot;'/>")
        let full = BOSHBody.response(attributes: [], payload: Array("<presence/><iq type='result' id='1'/>".utf8))
        #expect(String(decoding: full, as: UTF8.self) == opening + "><presence/><iq type='result' id='1'/></body>")
        let parsed = try? parse(String(decoding: empty, as: UTF8.self))
        #expect(parsed?[attribute: "authid"] == "x'<&\"")
    }

    @Test func terminateResponse() {
        let text = String(decoding: BOSHBody.terminate(condition: "item-not-found"), as: UTF8.self)
        #expect(text.contains("type='terminate'") && text.contains("condition='item-not-found'"))
    }
}

@Suite struct HTTPQueryTests {
    @Test func jitsiQueryString() {
        let q = HTTPQuery(uri: "/xmpp-websocket?room=weekly%2Dsync&prefix=acme&previd=ab_C-1&token=a+b&room=second")
        #expect(q.path == "/xmpp-websocket")
        #expect(q["room"] == "weekly-sync")
        #expect(q["prefix"] == "acme" && q["previd"] == "ab_C-1" && q["token"] == "a b")
        #expect(HTTPQuery(uri: "/http-bind").parameters.isEmpty)
        #expect(HTTPQuery(uri: "/x?bad=%zz&empty=").parameters == ["bad": "%zz", "empty": ""])
    }
}

@Suite struct StanzaBufferWritingTests {
    private func broadcastBytes() throws -> StanzaBytes {
        let element = XMLElement("presence", ns: Namespace.client, [("from", "room@muc.meet.jitsi/alice")])
        var stanza = Stanza(unchecked: element, kind: .presence, from: try JID("room@muc.meet.jitsi/alice"), to: nil)
        stanza.prepareBroadcast()
        return try #require(stanza.serialized)
    }

    @Test func bufferWritesMatchTheArrayWriter() throws {
        let bytes = try broadcastBytes()
        for recipient in [try JID("bob@meet.jitsi/b'1"), try JID("meet.jitsi"), nil] {
            for declare in [false, true] {
                var expected: [UInt8] = []
                bytes.write(to: recipient, declareNamespace: declare, into: &expected)
                var cache = RecipientAddressCache()
                var buffer = ByteBuffer()
                buffer.writeStanza(
                    bytes,
                    toAttributeValue: recipient.map { cache.value(for: $0) },
                    declareNamespace: declare
                )
                #expect(Array(buffer.readableBytesView) == expected)
            }
        }
    }

    @Test func recipientCacheFollowsTheRecipient() throws {
        var cache = RecipientAddressCache()
        #expect(String(decoding: cache.value(for: try JID("a@b/c")), as: UTF8.self) == "a@b/c")
        #expect(String(decoding: cache.value(for: try JID("a@b/<d>")), as: UTF8.self) == "a@b/&lt;d&gt;")
    }
}
