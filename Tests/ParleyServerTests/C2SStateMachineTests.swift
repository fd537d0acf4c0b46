import ParleyCore
import ParleyTransports
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
    C2SStateMachine(
        configuration: .init(hosts: hosts, tlsAvailable: tls, requireEncryption: true, encryptionExempt: exempt),
        secured: secured
    )
}

extension C2SStateMachine {
    /// `receive`, with each `.lookUpCredentials` answered from `Accounts` as the session would.
    mutating func receiveAnswering(_ element: XMLElement) -> [C2SAction] {
        var actions = self.receive(element)
        while let index = actions.firstIndex(where: { if case .lookUpCredentials = $0 { true } else { false } }) {
            guard case .lookUpCredentials(let request, _) = actions[index] else { break }
            actions.replaceSubrange(index...index, with: self.credentialsLookedUp(request.answer(from: Accounts())))
        }
        return actions
    }
}

private func textElement(_ name: String, _ namespace: String, _ text: String) -> XMLElement {
    var element = XMLElement(name: name, namespace: namespace)
    element.append(text: text)
    return element
}

private func boundJID(_ actions: [C2SAction]) -> JID? {
    for case .bind(let jid) in actions { return jid }
    return nil
}

private func header(
    to: String = "meet.jitsi",
    ns: String = Namespace.client,
    streamNS: String = Namespace.streams,
    version: String? = "1.0"
) -> XMLStreamHeader {
    var attributes = [XMLAttribute(name: "to", value: to)]
    if let version { attributes.append(XMLAttribute(name: "version", value: version)) }
    return XMLStreamHeader(
        name: "stream",
        namespace: streamNS,
        attributes: attributes,
        defaultNamespace: ns,
        prefixes: ["stream": streamNS]
    )
}

private func sent(_ actions: [C2SAction]) -> [XMLElement] {
    actions.compactMap {
        switch $0 {
        case .send(let e): e
        case .sendPrepared(let prepared): prepared.element
        default: nil
        }
    }
}

private func closedWith(_ actions: [C2SAction]) -> StreamError.Condition? {
    for case .close(let error) in actions { return error?.condition }
    return nil
}

private func auth(_ mechanism: String, _ payload: [UInt8] = []) -> XMLElement {
    var e = XMLElement(
        name: "auth",
        namespace: Namespace.sasl,
        attributes: [XMLAttribute(name: "mechanism", value: mechanism)]
    )
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
        #expect(m.secured)
        let features = sent(m.streamOpened(header()))
        #expect(features[0].child("mechanisms")?.elements.map(\.text) == ["ANONYMOUS"])
        let success = m.receive(auth("ANONYMOUS"))
        #expect(sent(success).first?.name == "success")
        #expect(success.contains { if case .restartStream = $0 { true } else { false } })
        #expect(m.user?.domainpart == "meet.jitsi")
        let bindFeatures = sent(m.streamOpened(header()))
        #expect(bindFeatures[0].child("bind", namespace: Namespace.bind) != nil)
        let bindIQ = XMLElement(
            "iq",
            ns: Namespace.client,
            [("type", "set"), ("id", "b1")],
            children: [XMLElement("bind", ns: Namespace.bind)]
        )
        let bindActions = m.receive(bindIQ)
        let jid = try #require(boundJID(bindActions), "no bind action: \(bindActions)")
        #expect(jid.bare == m.user && jid.resourcepart?.utf8.count == 12)
        let result = sent(bindActions)
        #expect(result.first?.child("bind")?.child("jid")?.text == jid.description)
        #expect(result.first?[attribute: "id"] == "b1")
        #expect(m.isBound && m.boundJID == jid)
    }

    @Test func scramSHA256LoginOnTheAccountHost() throws {
        var m = machine(secured: true)
        _ = m.streamOpened(header(to: "auth.meet.jitsi"))
        let clientNonce = "abcdefgh"
        let step1 = sent(m.receiveAnswering(auth("SCRAM-SHA-256", Array("n,,n=focus,r=\(clientNonce)".utf8))))
        let serverFirst = String(decoding: try #require(Base64.decode(step1[0].text)), as: UTF8.self)
        let fields = Dictionary(
            uniqueKeysWithValues: serverFirst.split(separator: ",").map { ($0.first!, String($0.dropFirst(2))) }
        )
        let nonce = try #require(fields["r"])
        let saltText = try #require(fields["s"])
        let salt = try #require(Base64.decode(saltText))
        let salted = SCRAMCredentials.saltedPassword(
            "pw",
            algorithm: .sha256,
            salt: salt,
            iterations: Int(fields["i"]!)!
        )
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
        let wrong = m.receiveAnswering(auth("PLAIN", [0] + Array("focus".utf8) + [0] + Array("nope".utf8)))
        #expect(sent(wrong).first?.elements.first?.name == "not-authorized")
        #expect(closedWith(wrong) == nil)
        let right = m.receiveAnswering(auth("PLAIN", [0] + Array("focus".utf8) + [0] + Array("pw".utf8)))
        #expect(sent(right).first?.name == "success")
    }

    @Test func tooManyFailuresCloseTheStream() {
        var m = machine(secured: true)
        _ = m.streamOpened(header(to: "auth.meet.jitsi"))
        var last: [C2SAction] = []
        for _ in 0..<5 {
            last = m.receiveAnswering(auth("PLAIN", [0] + Array("focus".utf8) + [0] + Array("nope".utf8)))
        }
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
        (header(to: "meet.jitsi/resource"), .hostUnknown),
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

    @Test("a host named in another form than the configured one is prepared first (RFC 7622 §3.2)")
    func hostNamesArePrepared() {
        for to in ["meet.jitsi", "MEET.Jitsi", "meet.jitsi."] {
            var m = machine()
            let actions = m.streamOpened(header(to: to))
            #expect(closedWith(actions) == nil, "\(to)")
            #expect(m.host?.domain == "meet.jitsi", "\(to)")
        }
    }

    @Test("a SASL payload may have XML white space around it; none, or '=', is empty (RFC 6120 §6.4.2)")
    func saslPayloadsAreTrimmed() {
        #expect(C2SStateMachine.decodeSASLPayload("  \n\tAGFsaWNlAHNlY3JldA==\r\n") == Array("\0alice\0secret".utf8))
        #expect(C2SStateMachine.decodeSASLPayload("AGFsaWNlAHNlY3JldA==") == Array("\0alice\0secret".utf8))
        #expect(C2SStateMachine.decodeSASLPayload("") == [])
        #expect(C2SStateMachine.decodeSASLPayload(" \n ") == [])
        #expect(C2SStateMachine.decodeSASLPayload(" = ") == [])
        #expect(C2SStateMachine.decodeSASLPayload("A GFs") == nil)
        #expect(C2SStateMachine.decodeSASLPayload("\u{A0}AGFsaWNlAHNlY3JldA==") == nil)
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
        let bindIQ = XMLElement(
            "iq",
            ns: Namespace.client,
            [("type", "set"), ("id", "b")],
            children: [XMLElement("bind", ns: Namespace.bind, children: [textElement("resource", Namespace.bind, "r")])]
        )
        let jid = try #require(boundJID(m.receive(bindIQ)))
        #expect(jid == (try m.user!.with(resource: "r")))

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

        let spoofed = m.receive(
            XMLElement("message", ns: Namespace.client, [("to", "a@meet.jitsi"), ("from", "admin@meet.jitsi/x")])
        )
        #expect(closedWith(spoofed) == .invalidFrom)
    }

    @Test func unknownTopLevelElementAfterBind() throws {
        var m = machine(secured: true)
        _ = m.streamOpened(header())
        _ = m.receive(auth("ANONYMOUS"))
        _ = m.streamOpened(header())
        _ = try #require(
            boundJID(
                m.receive(
                    XMLElement(
                        "iq",
                        ns: Namespace.client,
                        [("type", "set"), ("id", "b")],
                        children: [XMLElement("bind", ns: Namespace.bind)]
                    )
                )
            )
        )
        #expect(closedWith(m.receive(XMLElement("foo", ns: "urn:x"))) == .unsupportedStanzaType)
    }
}

@Suite struct C2SStreamRestartTests {
    /// RFC 6120 §4.9.1.1: an error at the start of a restarted stream still opens that stream first.
    @Test func headerIsSentAgainOnEachNewStream() {
        var m = machine()
        _ = m.streamOpened(header())
        _ = m.receive(XMLElement(name: "starttls", namespace: Namespace.tls))
        #expect(!m.headerWasSent)
        _ = m.streamOpened(header())
        #expect(m.headerWasSent)
        _ = m.receive(auth("ANONYMOUS"))
        #expect(!m.headerWasSent)
    }
}

/// The machine does no I/O: the credentials SASL needs and a hibernated session are actions, and their answers
/// events (issue: the c2s state machine is pure).
@Suite struct C2SStateMachineLookupTests {
    private func onAccountHost() -> C2SStateMachine {
        var m = machine(secured: true)
        _ = m.streamOpened(header(to: "auth.meet.jitsi"))
        return m
    }

    @Test func plainAsksForTheCredentialsAndWaitsForThem() {
        var m = self.onAccountHost()
        let actions = m.receive(auth("PLAIN", [0] + Array("focus".utf8) + [0] + Array("pw".utf8)))
        guard case .lookUpCredentials(let request, let host) = actions.first, actions.count == 1 else {
            Issue.record("expected only a lookup: \(actions)")
            return
        }
        #expect(request == CredentialRequest(username: "focus", algorithms: [.sha256, .sha1]))
        #expect(host.domain == "auth.meet.jitsi")
        #expect(m.user == nil)
        let success = m.credentialsLookedUp(Accounts().credentials)
        #expect(sent(success).first?.name == "success")
        #expect(m.user?.description == "focus@auth.meet.jitsi")
    }

    @Test func anAbsentAccountIsNotAuthorizedAndTheStreamLives() {
        var m = self.onAccountHost()
        _ = m.receive(auth("PLAIN", [0] + Array("nobody".utf8) + [0] + Array("pw".utf8)))
        let failure = m.credentialsLookedUp(nil)
        #expect(sent(failure).first?.elements.first?.name == "not-authorized")
        #expect(closedWith(failure) == nil)
    }

    @Test func scramAsksForItsOwnAlgorithmThenChallenges() throws {
        var m = self.onAccountHost()
        let actions = m.receive(auth("SCRAM-SHA-256", Array("n,,n=nobody,r=abc".utf8)))
        guard case .lookUpCredentials(let request, _) = actions.first else {
            Issue.record("expected a lookup: \(actions)")
            return
        }
        #expect(request.algorithms == [.sha256])
        // No such account: a challenge all the same, with a decoy salt (RFC 5802 §9).
        let challenge = sent(m.credentialsLookedUp(nil))
        #expect(challenge.first?.name == "challenge")
        let serverFirst = String(decoding: try #require(Base64.decode(challenge[0].text)), as: UTF8.self)
        #expect(serverFirst.hasPrefix("r=abc") && serverFirst.contains(",s=") && serverFirst.contains(",i="))
    }

    @Test func inputWhileTheLookupRunsIsAPolicyViolation() {
        var m = self.onAccountHost()
        _ = m.receive(auth("PLAIN", [0] + Array("focus".utf8) + [0] + Array("pw".utf8)))
        let early = m.receive(XMLElement(name: "response", namespace: Namespace.sasl))
        #expect(closedWith(early) == .policyViolation)
        #expect(m.credentialsLookedUp(Accounts().credentials).isEmpty)  // too late: the stream is over
    }

    @Test func aLateAnswerWithoutALookupIsIgnored() {
        var m = self.onAccountHost()
        #expect(m.credentialsLookedUp(Accounts().credentials).isEmpty)
        #expect(m.user == nil)
    }

    @Test func closeIsAskedForOnce() {
        var m = self.onAccountHost()
        #expect(closedWith(m.close(StreamError(.conflict))) == .conflict)
        #expect(m.isClosed)
        #expect(m.close(StreamError(.systemShutdown)).isEmpty)
        #expect(m.streamClosed().isEmpty)
        #expect(closedWith(m.receive(XMLElement(name: "presence", namespace: Namespace.client))) == nil)
    }

    @Test func resumeIsAnActionAndItsFailureLetsTheClientBind() throws {
        var m = C2SStateMachine(
            configuration: {
                var c = C2SStateMachine.Configuration(
                    hosts: hosts,
                    tlsAvailable: true,
                    requireEncryption: true,
                    encryptionExempt: false
                )
                c.offerStreamManagement = true
                return c
            }(),
            secured: true
        )
        _ = m.streamOpened(header())
        _ = m.receive(auth("ANONYMOUS"))
        _ = m.streamOpened(header())
        let user = try #require(m.user)
        let resume = m.receive(XMLElement("resume", ns: Namespace.streamManagement, [("previd", "abc"), ("h", "3")]))
        guard case .resume(let previd, let h, let who) = resume.first else {
            Issue.record("expected a resume action: \(resume)")
            return
        }
        #expect(previd == "abc" && h == 3 && who == user)
        #expect(closedWith(m.receive(XMLElement(name: "presence", namespace: Namespace.client))) == .policyViolation)
    }

    @Test func aFailedResumeAnswersItemNotFound() throws {
        var c = C2SStateMachine.Configuration(
            hosts: hosts,
            tlsAvailable: true,
            requireEncryption: true,
            encryptionExempt: false
        )
        c.offerStreamManagement = true
        var m = C2SStateMachine(configuration: c, secured: true)
        _ = m.streamOpened(header())
        _ = m.receive(auth("ANONYMOUS"))
        _ = m.streamOpened(header())
        _ = m.receive(XMLElement("resume", ns: Namespace.streamManagement, [("previd", "abc"), ("h", "0")]))
        let failed = sent(m.resumeFailed())
        #expect(failed.first?.name == "failed" && failed.first?.elements.first?.name == "item-not-found")
        #expect(m.resumeFailed().isEmpty)  // once
        let bind = m.receive(
            XMLElement(
                "iq",
                ns: Namespace.client,
                [("type", "set"), ("id", "b")],
                children: [XMLElement("bind", ns: Namespace.bind)]
            )
        )
        #expect(boundJID(bind) != nil)
    }

    @Test func anInvalidResourceIsABadRequestAndTheClientMayTryAgain() throws {
        var m = machine(secured: true)
        _ = m.streamOpened(header())
        _ = m.receive(auth("ANONYMOUS"))
        _ = m.streamOpened(header())
        let bad = m.receive(
            XMLElement(
                "iq",
                ns: Namespace.client,
                [("type", "set"), ("id", "b")],
                children: [
                    XMLElement(
                        "bind",
                        ns: Namespace.bind,
                        children: [textElement("resource", Namespace.bind, String(repeating: "r", count: 2000))]
                    )
                ]
            )
        )
        #expect(boundJID(bad) == nil)
        #expect(sent(bad).first?.child("error")?.child("bad-request") != nil)
        #expect(!m.isBound)
        #expect(
            boundJID(
                m.receive(
                    XMLElement(
                        "iq",
                        ns: Namespace.client,
                        [("type", "set"), ("id", "c")],
                        children: [XMLElement("bind", ns: Namespace.bind)]
                    )
                )
            ) != nil
        )
    }
}

/// The features a stream is offered come from `StreamFeaturesCache`: the same object for streams in the same
/// state, encoded as `StreamElementEncoding` would encode the element.
@Suite struct StreamFeaturesCacheTests {
    @Test func preparedFeaturesAreSharedAndEncodedLikeTheElement() {
        let key = StreamFeaturesCache.Key(
            authenticated: false,
            offersStreamManagement: true,
            secured: false,
            tlsAvailable: true,
            encryptionRequired: false,
            mechanisms: [.scramSHA1, .plain]
        )
        let first = StreamFeaturesCache.shared.features(for: key) { C2SStateMachine.features(key) }
        let second = StreamFeaturesCache.shared.features(for: key) {
            Issue.record("built twice")
            return C2SStateMachine.features(key)
        }
        #expect(first === second)
        #expect(first.element == C2SStateMachine.features(key))
        #expect(first.inStream == StreamElementEncoding.encode(first.element, declarePrefix: false))
        #expect(first.standalone == StreamElementEncoding.encode(first.element, declarePrefix: true))
        let mechanisms = first.element.child("mechanisms", namespace: Namespace.sasl)?.elements.map(\.text)
        #expect(mechanisms == ["SCRAM-SHA-1", "PLAIN"])
        #expect(first.element.child("starttls", namespace: Namespace.tls) != nil)
    }

    @Test func theTableIsBounded() {
        let cache = StreamFeaturesCache()
        for index in 0..<(StreamFeaturesCache.maxEntries * 3) {
            let key = StreamFeaturesCache.Key(
                authenticated: index % 2 == 0,
                offersStreamManagement: false,
                secured: true,
                tlsAvailable: false,
                encryptionRequired: false,
                mechanisms: Array(repeating: .anonymous, count: index)
            )
            _ = cache.features(for: key) { C2SStateMachine.features(key) }
        }
        #expect(cache.count <= StreamFeaturesCache.maxEntries)
    }
}
