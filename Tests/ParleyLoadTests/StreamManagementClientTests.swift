import NIOCore
import Testing

@testable import ParleyLoad

private func feed(_ client: inout StreamManagementClient, _ text: String) -> StreamManagementClient.Event {
    Array(text.utf8).withUnsafeBytes { client.received(ElementView($0)) }
}

@Suite struct StreamManagementClientTests {
    @Test func offUntilEnableIsSent() {
        var client = StreamManagementClient()
        #expect(feed(&client, "<r xmlns='urn:xmpp:sm:3'/>") == .other)
        #expect(feed(&client, "<presence from='r@m/n'/>") == .other)
        #expect(!client.requested && client.handled == 0)
    }

    @Test func countsStanzasReceivedAfterEnabledOnly() {
        var client = StreamManagementClient()
        client.enableSent()
        // Pipelined: the join goes out before <enabled/> arrives; nothing before it counts (XEP-0198 §4).
        #expect(feed(&client, "<presence from='r@m/early'/>") == .other)
        #expect(feed(&client, "<r xmlns='urn:xmpp:sm:3'/>") == .ignored)
        #expect(feed(&client, "<enabled xmlns='urn:xmpp:sm:3' id='abc' resume='true' max='60'/>") == .enabled)
        #expect(client.active && client.handled == 0)
        #expect(
            feed(&client, "<presence from='r@m/a'><x xmlns='http://jabber.org/protocol/muc#user'/></presence>")
                == .other
        )
        #expect(feed(&client, "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>") == .other)
        #expect(feed(&client, "<message from='r@m/b'><body>hi</body></message>") == .other)
        #expect(feed(&client, "<r xmlns='urn:xmpp:sm:3'/>") == .ackRequested(h: 3))
        // Nonzas are not stanzas: the ack request, an <a/> and stream-level elements do not count.
        #expect(feed(&client, "<a xmlns='urn:xmpp:sm:3' h='1'/>") == .ignored)
        #expect(feed(&client, "<stream:error><x/></stream:error>") == .other)
        #expect(feed(&client, "<presence from='r@m/c' type='unavailable'/>") == .other)
        #expect(feed(&client, "<r xmlns=\"urn:xmpp:sm:3\"/>") == .ackRequested(h: 4))
    }

    @Test func failedIsReported() {
        var client = StreamManagementClient()
        client.enableSent()
        let failed =
            "<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"
        #expect(feed(&client, failed) == .failed)
        // A SASL <failure/> or an element of another namespace named like a nonza is not stream management.
        #expect(feed(&client, "<r xmlns='urn:example'/>") == .other)
    }

    @Test func templatesSpellTheNonzas() {
        var configuration = LoadConfiguration(scenario: .join)
        configuration.streamManagement = true
        let templates = StanzaTemplates(configuration: configuration)
        #expect(
            String(buffer: templates.enableStreamManagement) == "<enable xmlns='urn:xmpp:sm:3' resume='true'/>"
        )
        #expect(
            String(buffer: templates.ack(h: 4_294_967_295, allocator: ByteBufferAllocator()))
                == "<a xmlns='urn:xmpp:sm:3' h='4294967295'/>"
        )
        #expect(
            String(buffer: templates.ack(h: 0, allocator: ByteBufferAllocator())) == "<a xmlns='urn:xmpp:sm:3' h='0'/>"
        )
    }

    @Test func notOverBOSH() throws {
        var configuration = LoadConfiguration(scenario: .join, transport: .bosh)
        configuration.streamManagement = true
        #expect(throws: LoadConfigurationError.self) { try configuration.validate() }
        configuration = LoadConfiguration(scenario: .fanout, transport: .websocket)
        configuration.streamManagement = true
        try configuration.validate()
    }
}
