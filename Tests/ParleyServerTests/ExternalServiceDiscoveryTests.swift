import ParleyCore
import ParleyXML
import Testing

@testable import ParleyServer

/// XEP-0215 answers as `ExternalServiceDiscovery` makes them, with a fixed clock: `now` is 2025-01-01T00:00:00Z.
@Suite struct ExternalServiceDiscoveryTests {
    static let now = 1_735_689_600
    static let secret = "north"
    static let browser = JID(literal: "a1b2c3@meet.jitsi/x1")

    /// docker-jitsi-meet's rendering of STUN_HOST, TURN_HOST (udp, tcp), TURNS_HOST and TURN_CREDENTIALS.
    static let discovery = ExternalServiceDiscovery(
        services: [
            ExternalService(kind: .stun, host: "turn.example.org", port: 443, transport: .udp),
            ExternalService(
                kind: .turn,
                host: "turn.example.org",
                port: 3478,
                transport: .udp,
                credentials: .timeLimited(user: nil)
            ),
            ExternalService(
                kind: .turn,
                host: "turn.example.org",
                port: 3478,
                transport: .tcp,
                credentials: .timeLimited(user: nil)
            ),
            ExternalService(
                kind: .turns,
                host: "turn.example.org",
                port: 5349,
                transport: .tcp,
                credentials: .timeLimited(user: nil),
                ttl: 600
            ),
        ],
        secret: secret,
        defaultTTL: 86_400
    )

    func ask(
        _ request: XMLElement,
        type: String = "get",
        from requester: JID? = browser,
        session: Bool = true,
        discovery: ExternalServiceDiscovery = discovery
    ) -> ExternalServiceDiscovery.Answer {
        discovery.answer(request, type: type, requester: requester, isLocalSession: session, now: Self.now)
    }

    func result(_ answer: ExternalServiceDiscovery.Answer) throws -> XMLElement {
        guard case .result(let element) = answer else {
            Issue.record("expected a result, got \(answer)")
            throw CancellationError()
        }
        return element
    }

    func error(_ answer: ExternalServiceDiscovery.Answer) -> StanzaError? {
        guard case .error(let error) = answer else { return nil }
        return error
    }

    @Test func servicesWithTimeLimitedCredentials() throws {
        let answer = try self.result(self.ask(XMLElement("services", ns: Namespace.externalServiceDiscovery)))
        #expect(answer.name == "services" && answer.namespace == "urn:xmpp:extdisco:2")
        let services = answer.elements
        #expect(services.count == 4)
        let expected = TURNRESTCredential(secret: Array("north".utf8), expiry: Self.now + 86_400)
        #expect(expected.username == "1735776000")
        #expect(
            services[0].xmlString(inheritedNamespace: Namespace.externalServiceDiscovery)
                == "<service type='stun' host='turn.example.org' port='443' transport='udp'/>"
        )
        #expect(
            services[1].xmlString(inheritedNamespace: Namespace.externalServiceDiscovery)
                == "<service type='turn' host='turn.example.org' port='3478' transport='udp' username='1735776000' "
                + "password='\(expected.password)' expires='2025-01-02T00:00:00Z' restricted='1'/>"
        )
        #expect(services[2][attribute: "transport"] == "tcp" && services[2][attribute: "username"] == "1735776000")
        // A service's own ttl.
        #expect(services[3][attribute: "username"] == "1735690200")
        #expect(services[3][attribute: "expires"] == "2025-01-01T00:10:00Z")
        #expect(
            services[3][attribute: "password"]
                == TURNRESTCredential(secret: Array("north".utf8), expiry: 1_735_690_200).password
        )
    }

    @Test func theLegacyNamespaceIsAnsweredInKind() throws {
        let answer = try self.result(self.ask(XMLElement("services", ns: Namespace.externalServiceDiscoveryLegacy)))
        #expect(answer.namespace == "urn:xmpp:extdisco:1")
        #expect(answer.elements.count == 4 && answer.elements.allSatisfy { $0.namespace == "urn:xmpp:extdisco:1" })
    }

    @Test func aTypeSelectsServices() throws {
        // §3.2: `type` selects, and the answer carries it.
        let answer = try self.result(
            self.ask(XMLElement("services", ns: Namespace.externalServiceDiscovery, [("type", "turn")]))
        )
        #expect(answer[attribute: "type"] == "turn")
        #expect(answer.elements.map { $0[attribute: "transport"] } == ["udp", "tcp"])
        let none = try self.result(
            self.ask(XMLElement("services", ns: Namespace.externalServiceDiscovery, [("type", "ftp")]))
        )
        #expect(none.elements.isEmpty)
    }

    @Test func fixedCredentialsAreRestrictedWithoutExpiry() throws {
        let discovery = ExternalServiceDiscovery(
            services: [
                ExternalService(kind: .turn, host: "192.0.2.1", credentials: .fixed(username: "jitsi", password: "pw"))
            ],
            secret: nil
        )
        let answer = try self.result(
            self.ask(XMLElement("services", ns: Namespace.externalServiceDiscovery), discovery: discovery)
        )
        #expect(
            answer.elements.first?.xmlString(inheritedNamespace: Namespace.externalServiceDiscovery)
                == "<service type='turn' host='192.0.2.1' port='3478' username='jitsi' password='pw' restricted='1'/>"
        )
    }

    @Test func aUserFollowsTheExpiry() throws {
        let discovery = ExternalServiceDiscovery(
            services: [
                ExternalService(kind: .turn, host: "turn.example.org", credentials: .timeLimited(user: "jitsi"))
            ],
            secret: Self.secret,
            defaultTTL: 60
        )
        let answer = try self.result(
            self.ask(XMLElement("services", ns: Namespace.externalServiceDiscovery), discovery: discovery)
        )
        #expect(answer.elements.first?[attribute: "username"] == "1735689660:jitsi")
    }

    @Test func withoutASecretTimeLimitedServicesAreLeftOut() {
        let discovery = ExternalServiceDiscovery(services: Self.discovery.services, secret: nil)
        #expect(discovery.services.map(\.kind) == [.stun])
        let empty = ExternalServiceDiscovery(services: Self.discovery.services, secret: "")
        #expect(empty.services.count == 1)
    }

    @Test func credentialsForANamedService() throws {
        var request = XMLElement("credentials", ns: Namespace.externalServiceDiscovery)
        request.append(
            XMLElement(
                "service",
                ns: Namespace.externalServiceDiscovery,
                [("type", "turns"), ("host", "turn.example.org")]
            )
        )
        let answer = try self.result(self.ask(request))
        #expect(answer.name == "credentials")
        #expect(answer.elements.count == 1 && answer.elements[0][attribute: "port"] == "5349")
        #expect(answer.elements[0][attribute: "username"] == "1735690200")

        // A port narrows; both TURN transports share host and port, so both come back.
        var byPort = XMLElement("credentials", ns: Namespace.externalServiceDiscovery)
        byPort.append(
            XMLElement(
                "service",
                ns: Namespace.externalServiceDiscovery,
                [("type", "turn"), ("host", "turn.example.org"), ("port", "3478")]
            )
        )
        #expect(try self.result(self.ask(byPort)).elements.count == 2)
    }

    @Test func credentialsErrors() {
        // §3.3: type and host are required.
        var missing = XMLElement("credentials", ns: Namespace.externalServiceDiscovery)
        missing.append(XMLElement("service", ns: Namespace.externalServiceDiscovery, [("type", "turn")]))
        let bad = self.error(self.ask(missing))
        #expect(bad?.condition == .badRequest && bad?.type == .modify && bad?.text != nil)
        #expect(
            self.error(self.ask(XMLElement("credentials", ns: Namespace.externalServiceDiscovery)))?.condition
                == .badRequest
        )

        // The open STUN server has no credentials; an unknown host none either.
        for (type, host) in [("stun", "turn.example.org"), ("turn", "elsewhere.example.org")] {
            var request = XMLElement("credentials", ns: Namespace.externalServiceDiscovery)
            request.append(
                XMLElement("service", ns: Namespace.externalServiceDiscovery, [("type", type), ("host", host)])
            )
            #expect(self.error(self.ask(request))?.condition == .itemNotFound)
        }
    }

    @Test func requestErrors() {
        // An unknown element of the namespace: feature-not-implemented.
        let unknown = self.error(self.ask(XMLElement("push", ns: Namespace.externalServiceDiscovery)))
        #expect(unknown?.condition == .featureNotImplemented && unknown?.text != nil)
        // A set: service-unavailable, as Prosody's unhandled iq-set.
        let set = self.error(self.ask(XMLElement("services", ns: Namespace.externalServiceDiscovery), type: "set"))
        #expect(set?.condition == .serviceUnavailable && set?.text != nil)
        // Only sessions of this server's hosts: auth/forbidden.
        let stranger = self.error(
            self.ask(XMLElement("services", ns: Namespace.externalServiceDiscovery), session: false)
        )
        #expect(stranger?.condition == .forbidden && stranger?.type == .auth)
        #expect(
            self.error(self.ask(XMLElement("services", ns: Namespace.externalServiceDiscovery), from: nil))?.condition
                == .forbidden
        )
    }

    @Test func anAccessListAdmitsJIDsAndDomains() throws {
        let discovery = ExternalServiceDiscovery(
            services: Self.discovery.services,
            secret: Self.secret,
            access: [JID(literal: "focus@auth.meet.jitsi"), JID(literal: "guest.meet.jitsi")]
        )
        let request = XMLElement("services", ns: Namespace.externalServiceDiscovery)
        #expect(self.error(self.ask(request, discovery: discovery))?.condition == .forbidden)
        _ = try self.result(self.ask(request, from: JID(literal: "focus@auth.meet.jitsi/focus"), discovery: discovery))
        _ = try self.result(self.ask(request, from: JID(literal: "u1@guest.meet.jitsi/r"), discovery: discovery))
    }

    @Test func expiresIsXEP0082() {
        #expect(ExternalServiceDiscovery.dateTime(0) == "1970-01-01T00:00:00Z")
        #expect(ExternalServiceDiscovery.dateTime(1_735_689_600 + 86_399) == "2025-01-01T23:59:59Z")
    }
}
