import ParleyCore
import ParleyXML
import Testing

@testable import ParleyServer

private struct Accounts: SASLCredentialLookup {
    let credentials = SCRAMCredentials.derive(password: "pw", algorithm: .sha256, iterations: 4096)
    func scramCredentials(username: String, algorithm: HashAlgorithm) -> SCRAMCredentials? {
        username == "focus" && algorithm == .sha256 ? self.credentials : nil
    }
}

private let hosts = [
    "meet.jitsi": HostConfiguration(domain: "meet.jitsi", authentication: .anonymous),
    "auth.meet.jitsi": HostConfiguration(domain: "auth.meet.jitsi", authentication: .internalHashed),
]

private func machine(secured: Bool = false, tls: Bool = true, exempt: Bool = false) -> C2SStateMachine {
    let accounts = Accounts()
    return C2SStateMachine(
        configuration: .init(hosts: hosts, tlsAvailable: tls, requireEncryption: true, encryptionExempt: exempt),
        secured: secured, credentials: { _ in accounts })
}

private func header(to: String = "meet.jitsi", ns: String = Namespace.client, streamNS: String = Namespace.streams, version: String? = "1.0") -> XMLStreamHeader {
    var attributes = [XMLAttribute(name: "to", value: to)]
    if let version { attributes.append(XMLAttribute(name: "version", value: version)) }
    return XMLStreamHeader(name: "stream", namespace: streamNS, attributes: attributes, defaultNamespace: ns, prefixes: ["stream": streamNS])
}

private func sent(_ actions: [C2SAction]) -> [XMLElement] {
    actions.compactMap { if case .send(let e) = $0 { return e } else { return nil } }
}

private func closedWith(_ actions: [C2SAction]) -> StreamError.Condition? {
    for case .close(let error) in actions { return error?.condition }
    return nil
}

private func auth(_ mechanism: String, _ payload: [UInt8] = []) -> XMLElement {
    var e = XMLElement(name: "auth", namespace: Namespace.sasl, attributes: [XMLAttribute(name: "mechanism", value: mechanism)])
    e.append(text: payload.isEmpty ? "=" : Base64.encode(payload))
    return e
}

@Suite struct C2SStateMachineTests {
    @Test func plaintextOffersOnlyRequiredStartTLS() {
        var m = machine()
        let features = sent(m.streamOpened(header()))
        #expect(features.count == 1)
        #expect(features[0].child("starttls", namespace: Namespace.tls)?.child("required") != nil)
        #expect(features[0].child("mechanisms") == nil)
    }

    @Test func starttlsThenAnonymousThenBind() throws {
        var m = machine()
        _ = m.streamOpened(header())
        let proceed = m.receive(XMLElement(name: "starttls", namespace: Namespace.tls))
        #expect(sent(proceed).first?.name == "proceed")
        #expect(proceed.contains { if case .startTLS = $0 { true } else { false } })
        m.tlsEstablished()
        let features = sent(m.streamOpened(header()))
        #expect(features[0].child("mechanisms")?.elements.map(\.text) == ["ANONYMOUS"])
        let success = m.receive(auth("ANONYMOUS"))
        #expect(sent(success).first?.name == "success")
        #expect(success.contains { if case .restartStream = $0 { true } else { false } })
        #expect(m.user?.domainpart == "meet.jitsi")
        let bindFeatures = sent(m.streamOpened(header()))
        #expect(bindFeatures[0].child("bind", namespace: Namespace.bind) != nil)
        let bindIQ = XMLElement("iq", ns: Namespace.client, [("type", "set"), ("id", "b1")], children: [XMLElement("bind", ns: Namespace.bind)])
        let bindActions = m.receive(bindIQ)
        guard case .bind(nil, let request) = bindActions.first else {
            Issue.record("no bind action: \(bindActions)")
            return
        }
        let jid = try m.user!.with(resource: "r1")
        let result = sent(m.bound(jid, request: request))
        #expect(result.first?.child("bind")?.child("jid")?.text == jid.description)
        #expect(m.isBound)
    }

    @Test func scramSHA256LoginOnTheAccountHost() throws {
        var m = machine(secured: true)
        _ = m.streamOpened(header(to: "auth.meet.jitsi"))
        let clientNonce = "abcdefgh"
        let step1 = sent(m.receive(auth("SCRAM-SHA-256", Array("n,,n=focus,r=\(clientNonce)".utf8))))
        let serverFirst = String(decoding: try #require(Base64.decode(step1[0].text)), as: UTF8.self)
        let fields = Dictionary(uniqueKeysWithValues: serverFirst.split(separator: ",").map { ($0.first!, String($0.dropFirst(2))) })
        let nonce = try #require(fields["r"])
        let saltText = try #require(fields["s"])
        let salt = try #require(Base64.decode(saltText))
        let salted = SCRAMCredentials.saltedPassword("pw", algorithm: .sha256, salt: salt, iterations: Int(fields["i"]!)!)
        let clientKey = HashAlgorithm.sha256.hmac(key: salted, Array("Client Key".utf8))
        let storedKey = HashAlgorithm.sha256.hash(clientKey)
        let withoutProof = "c=biws,r=\(nonce)"
        let authMessage = "n=focus,r=\(clientNonce),\(serverFirst),\(withoutProof)"
        let signature = HashAlgorithm.sha256.hmac(key: storedKey, Array(authMessage.utf8))
        let proof = zip(clientKey, signature).map { $0 ^ $1 }
        var response = XMLElement(name: "response", namespace: Namespace.sasl)
        response.append(text: Base64.encode(Array("\(withoutProof),p=\(Base64.encode(proof))".utf8)))
        let step2 = sent(m.receive(response))
        #expect(step2.first?.name == "success")
        #expect(m.user?.description == "focus@auth.meet.jitsi")
    }

    @Test func wrongMechanismAndPasswordFailButKeepTheStream() {
        var m = machine(secured: true)
        _ = m.streamOpened(header(to: "auth.meet.jitsi"))
        let unknown = m.receive(auth("X-UNKNOWN"))
        #expect(sent(unknown).first?.elements.first?.name == "invalid-mechanism")
        #expect(closedWith(unknown) == nil)
        let anonymousOnAccountHost = m.receive(auth("ANONYMOUS"))
        #expect(sent(anonymousOnAccountHost).first?.elements.first?.name == "invalid-mechanism")
        let wrong = m.receive(auth("PLAIN", [0] + Array("focus".utf8) + [0] + Array("nope".utf8)))
        #expect(sent(wrong).first?.elements.first?.name == "not-authorized")
        #expect(closedWith(wrong) == nil)
        let right = m.receive(auth("PLAIN", [0] + Array("focus".utf8) + [0] + Array("pw".utf8)))
        #expect(sent(right).first?.name == "success")
    }

    @Test func tooManyFailuresCloseTheStream() {
        var m = machine(secured: true)
        _ = m.streamOpened(header(to: "auth.meet.jitsi"))
        var last: [C2SAction] = []
        for _ in 0..<5 { last = m.receive(auth("PLAIN", [0] + Array("focus".utf8) + [0] + Array("nope".utf8))) }
        #expect(closedWith(last) == .policyViolation)
    }

    @Test func authBeforeTLSIsRefusedWhenEncryptionIsRequired() {
        var m = machine()
        _ = m.streamOpened(header())
        let actions = m.receive(auth("ANONYMOUS"))
        #expect(sent(actions).first?.elements.first?.name == "encryption-required")
    }

    @Test func loopbackExemptionAllowsPlaintextAuth() {
        var m = machine(exempt: true)
        let features = sent(m.streamOpened(header()))
        #expect(features[0].child("mechanisms") != nil)
        #expect(sent(m.receive(auth("ANONYMOUS"))).first?.name == "success")
    }

    @Test(arguments: [
        (header(ns: "jabber:server"), StreamError.Condition.invalidNamespace),
        (header(streamNS: "urn:wrong"), .invalidNamespace),
        (header(to: "unknown.example"), .hostUnknown),
        (header(to: "user@meet.jitsi"), .hostUnknown),
        (header(version: nil), .unsupportedVersion),
    ])
    func badHeaders(_ h: XMLStreamHeader, _ condition: StreamError.Condition) {
        var m = machine()
        let actions = m.streamOpened(h)
        guard case .sendStreamHeader = actions.first else {
            Issue.record("the server header must come first")
            return
        }
        #expect(closedWith(actions) == condition)
    }

    @Test func stanzaBeforeAuthenticationIsNotAuthorized() {
        var m = machine(secured: true)
        _ = m.streamOpened(header())
        let actions = m.receive(XMLElement("message", ns: Namespace.client, [("to", "x@meet.jitsi")]))
        #expect(closedWith(actions) == .notAuthorized)
    }

    @Test func boundStanzasAreStampedAndChecked() throws {
        var m = machine(secured: true)
        _ = m.streamOpened(header())
        _ = m.receive(auth("ANONYMOUS"))
        _ = m.streamOpened(header())
        let bindIQ = XMLElement("iq", ns: Namespace.client, [("type", "set"), ("id", "b")], children: [XMLElement("bind", ns: Namespace.bind)])
        guard case .bind(_, let request) = m.receive(bindIQ).first else { return }
        let jid = try m.user!.with(resource: "r")
        _ = m.bound(jid, request: request)

        let routed = m.receive(XMLElement("message", ns: Namespace.client, [("to", "other@meet.jitsi/x")]))
        guard case .route(let stanza) = routed.first else {
            Issue.record("not routed: \(routed)")
            return
        }
        #expect(stanza.from == jid)

        let malformed = m.receive(XMLElement("message", ns: Namespace.client, [("to", "a@b@c"), ("id", "m1")]))
        let error = try #require(sent(malformed).first)
        #expect(error[attribute: "type"] == "error")
        #expect(error.child("error")?.child("jid-malformed") != nil)
        #expect(closedWith(malformed) == nil)

        let spoofed = m.receive(XMLElement("message", ns: Namespace.client, [("to", "a@meet.jitsi"), ("from", "admin@meet.jitsi/x")]))
        #expect(closedWith(spoofed) == .invalidFrom)
    }

    @Test func unknownTopLevelElementAfterBind() throws {
        var m = machine(secured: true)
        _ = m.streamOpened(header())
        _ = m.receive(auth("ANONYMOUS"))
        _ = m.streamOpened(header())
        guard case .bind(_, let request) = m.receive(XMLElement("iq", ns: Namespace.client, [("type", "set"), ("id", "b")], children: [XMLElement("bind", ns: Namespace.bind)])).first else { return }
        _ = m.bound(try m.user!.with(resource: "r"), request: request)
        #expect(closedWith(m.receive(XMLElement("foo", ns: "urn:x"))) == .unsupportedStanzaType)
    }
}

@Suite struct C2SStreamRestartTests {
    /// RFC 6120 §4.9.1.1: an error at the start of a restarted stream still opens that stream first.
    @Test func headerIsSentAgainOnEachNewStream() {
        var m = machine()
        _ = m.streamOpened(header())
        _ = m.receive(XMLElement(name: "starttls", namespace: Namespace.tls))
        m.tlsEstablished()
        #expect(!m.headerWasSent)
        _ = m.streamOpened(header())
        #expect(m.headerWasSent)
        _ = m.receive(auth("ANONYMOUS"))
        #expect(!m.headerWasSent)
    }
}
