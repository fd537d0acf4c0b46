import ParleyXML
import Testing

@testable import ParleyLoad

private func element(_ xml: String) -> XMLElement {
    let parser = XMLStreamParser(configuration: .init(maxStanzaBytes: 1 << 20))
    var found: XMLElement?
    try? parser.feed(
        Array(("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + xml).utf8)
    ) {
        if case .element(let e) = $0 { found = e }
    }
    return found ?? XMLElement(name: "invalid", namespace: "")
}

private func sent(_ actions: [FakeBridgeSession.Action]) -> [String] {
    actions.compactMap { action in
        if case .send(let element) = action { return element.name }
        return nil
    }
}

@Suite("Fake bridge: the client session")
struct FakeBridgeSessionTests {
    let configuration = FakeBridgeSession.Configuration(
        domain: "auth.meet.jitsi",
        username: "jvb",
        password: "secret",
        brewery: "jvbbrewery@internal-muc.meet.jitsi",
        nick: "bridge1",
        seed: 1
    )

    @Test("STARTTLS, SASL PLAIN, bind, then the brewery join with stats; ready once its self-presence comes")
    func login() {
        var session = FakeBridgeSession(configuration: self.configuration)
        let tlsFeatures = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
        #expect(sent(session.received(element(tlsFeatures))) == ["starttls"])
        #expect(
            session.received(element("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")) == [.startTLS, .openStream]
        )
        let saslFeatures =
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>"
            + "<mechanism>PLAIN</mechanism></mechanisms></stream:features>"
        let auth = session.received(element(saslFeatures))
        guard case .send(let authElement)? = auth.first else {
            Issue.record("no <auth/>: \(auth)")
            return
        }
        #expect(authElement[attribute: "mechanism"] == "PLAIN" && authElement.text == "AGp2YgBzZWNyZXQ=")
        #expect(
            session.received(element("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")) == [
                .restartStream, .openStream,
            ]
        )
        let bindFeatures = "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
        #expect(sent(session.received(element(bindFeatures))) == ["iq"])
        let bound = session.received(
            element(
                "<iq type='result' id='bind-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                    + "<jid>jvb@auth.meet.jitsi/r1</jid></bind></iq>"
            )
        )
        #expect(sent(bound) == ["presence"])
        #expect(session.fullJID == "jvb@auth.meet.jitsi/r1")
        #expect(session.statsPresence == nil)
        let own = session.received(
            element(
                "<presence from='jvbbrewery@internal-muc.meet.jitsi/bridge1'><x xmlns='http://jabber.org/protocol/muc#user'>"
                    + "<item affiliation='owner' role='moderator'/><status code='110'/></x></presence>"
            )
        )
        #expect(own.count == 1)
        #expect(session.statsPresence != nil)
        let ping = session.received(element("<iq type='get' id='p1' from='x@y/z'><ping xmlns='urn:xmpp:ping'/></iq>"))
        #expect(sent(ping) == ["iq"])
    }

    @Test("a refused login or join gives up with a reason")
    func failures() {
        var refused = FakeBridgeSession(configuration: self.configuration)
        #expect(
            refused.received(element("<stream:features/>")).contains(.fail("the server offers no STARTTLS"))
        )
        #expect(refused.received(element("<stream:features/>")).isEmpty)
        var closed = FakeBridgeSession(configuration: self.configuration)
        #expect(closed.closed().contains(.fail("the server closed the stream")))
    }
}
