import Foundation
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyServer

/// SASL ANONYMOUS on a `token` host (Jitsi's `mod_auth_token`): the machine asks for the web session's token to be
/// verified and turns the answer into `<success/>` with a random username, or `<failure><not-authorized/>` with
/// Jitsi's reason as the text. Tokens are made here with the same HMAC (HS256).
@Suite struct C2SStateMachineTokenTests {
    static let secret = "token-test-secret"
    static let now = Date().timeIntervalSince1970

    static func token(
        _ claims: [String: Any],
        secret: String = secret,
        header: String = #"{"alg":"HS256","typ":"JWT"}"#
    ) -> String {
        let body = try! JSONSerialization.data(withJSONObject: claims)
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(body))
        return input + "." + Base64URL.encode(HashAlgorithm.sha256.hmac(key: Array(secret.utf8), Array(input.utf8)))
    }

    static var validClaims: [String: Any] {
        [
            "iss": "my_app", "aud": "jitsi", "room": "*", "exp": now + 600,
            "context": ["user": ["name": "Alice", "moderator": true]],
        ]
    }

    static func machine(token: String?, allowEmpty: Bool = false) -> C2SStateMachine {
        let verifier = TokenVerifier(
            configuration: .init(appID: "my_app", allowEmptyToken: allowEmpty),
            key: .secret(Array(secret.utf8))
        )
        let hosts = ["meet.jitsi": HostConfiguration(domain: "meet.jitsi", authentication: .token, token: verifier)]
        var configuration = C2SStateMachine.Configuration(
            hosts: hosts,
            tlsAvailable: false,
            requireEncryption: true,
            encryptionExempt: true
        )
        configuration.token = token
        var machine = C2SStateMachine(configuration: configuration, secured: false)
        let header = XMLStreamHeader(
            name: "stream",
            namespace: Namespace.streams,
            attributes: [XMLAttribute(name: "to", value: "meet.jitsi"), XMLAttribute(name: "version", value: "1.0")],
            defaultNamespace: Namespace.client,
            prefixes: ["stream": Namespace.streams]
        )
        _ = machine.streamOpened(header)
        return machine
    }

    static var anonymousAuth: XMLElement {
        var auth = XMLElement(
            name: "auth",
            namespace: Namespace.sasl,
            attributes: [XMLAttribute(name: "mechanism", value: "ANONYMOUS")]
        )
        auth.append(text: "=")
        return auth
    }

    /// Sends `<auth mechanism='ANONYMOUS'/>` and answers `.verifyToken` as `C2SSession` does.
    static func login(_ machine: inout C2SStateMachine, now: Double = now) -> [C2SAction] {
        let actions = machine.receive(self.anonymousAuth)
        guard actions.count == 1, case .verifyToken(let token, let host) = actions[0] else {
            Issue.record("expected one .verifyToken, got \(actions)")
            return actions
        }
        let result = host.token?.authenticate(token, now: now) ?? .failure(.notConfigured)
        return machine.tokenVerified(result)
    }

    static func sent(_ actions: [C2SAction]) -> [XMLElement] {
        actions.compactMap {
            switch $0 {
            case .send(let element): element
            case .sendPrepared(let prepared): prepared.element
            default: nil
            }
        }
    }

    /// The `<failure/>`'s condition and text.
    static func failure(_ actions: [C2SAction]) -> (String, String)? {
        guard let failure = self.sent(actions).first, failure.name == "failure" else { return nil }
        return (failure.elements.first?.name ?? "", failure.child("text", namespace: Namespace.sasl)?.text ?? "")
    }

    @Test func validTokenLogsInWithARandomUsername() throws {
        var first = Self.machine(token: Self.token(Self.validClaims))
        let actions = Self.login(&first)
        #expect(Self.sent(actions).first?.name == "success")
        let jid = try #require(actions.compactMap { if case .authenticated(let jid) = $0 { jid } else { nil } }.first)
        #expect(jid.domainpart == "meet.jitsi")
        #expect(first.tokenClaims?.user?["name"] == .string("Alice"))
        #expect(first.tokenClaims?.isModerator == true)
        var second = Self.machine(token: Self.token(Self.validClaims))
        let other = Self.login(&second).compactMap { if case .authenticated(let jid) = $0 { jid } else { nil } }.first
        #expect(other != nil && other != jid)
    }

    @Test func theHostOffersOnlyAnonymous() {
        let host = HostConfiguration(domain: "meet.jitsi", authentication: .token)
        #expect(host.mechanisms == [.anonymous])
    }

    @Test(
        arguments: [
            (nil, "token required"),
            ("not-a-token", "Invalid token"),
            ("x", "Invalid token"),
        ] as [(String?, String)]
    )
    func refusedWithoutAValidToken(_ token: String?, _ text: String) throws {
        var machine = Self.machine(token: token)
        let (condition, reason) = try #require(Self.failure(Self.login(&machine)))
        #expect(condition == "not-authorized")
        #expect(reason == text)
        #expect(!machine.isClosed)
        #expect(machine.user == nil)
    }

    @Test func eachBadTokenIsNamed() throws {
        var expired = Self.validClaims
        expired["exp"] = Self.now - 600
        var wrongIssuer = Self.validClaims
        wrongIssuer["iss"] = "intruder"
        let cases: [(String, String)] = [
            (Self.token(expired), "Not acceptable by exp"),
            (Self.token(Self.validClaims, secret: "wrong"), "Invalid signature"),
            (Self.token(wrongIssuer), "Invalid issuer ('iss' claim)"),
            (Self.token(Self.validClaims, header: #"{"alg":"none","typ":"JWT"}"#), "Invalid or incorrect alg"),
            (String(repeating: "A", count: 100_000), "Token too large"),
        ]
        for (token, text) in cases {
            var machine = Self.machine(token: token)
            let (condition, reason) = try #require(Self.failure(Self.login(&machine)))
            #expect(condition == "not-authorized")
            #expect(reason == text)
        }
    }

    @Test func emptyTokensWhereAllowed() {
        var machine = Self.machine(token: nil, allowEmpty: true)
        #expect(Self.sent(Self.login(&machine)).first?.name == "success")
        #expect(machine.tokenClaims == nil)
        var bad = Self.machine(token: "garbage", allowEmpty: true)
        #expect(Self.failure(Self.login(&bad))?.1 == "Invalid token")
    }

    @Test func aHostWithoutAKeyRefusesEveryone() throws {
        let hosts = ["meet.jitsi": HostConfiguration(domain: "meet.jitsi", authentication: .token)]
        var configuration = C2SStateMachine.Configuration(
            hosts: hosts,
            tlsAvailable: false,
            requireEncryption: true,
            encryptionExempt: true
        )
        configuration.token = Self.token(Self.validClaims)
        var machine = C2SStateMachine(configuration: configuration, secured: false)
        _ = machine.streamOpened(
            XMLStreamHeader(
                name: "stream",
                namespace: Namespace.streams,
                attributes: [
                    XMLAttribute(name: "to", value: "meet.jitsi"), XMLAttribute(name: "version", value: "1.0"),
                ],
                defaultNamespace: Namespace.client,
                prefixes: ["stream": Namespace.streams]
            )
        )
        #expect(Self.failure(Self.login(&machine))?.1 == "token authentication is not configured")
    }

    @Test func inputWhileTheTokenIsCheckedIsAPolicyViolation() {
        var machine = Self.machine(token: Self.token(Self.validClaims))
        _ = machine.receive(Self.anonymousAuth)
        let actions = machine.receive(Self.anonymousAuth)
        #expect(
            actions.contains { if case .close(let error) = $0 { error?.condition == .policyViolation } else { false } }
        )
    }

    @Test func repeatedFailuresCloseTheStream() {
        var machine = Self.machine(token: "bad")
        for _ in 0..<4 { _ = Self.login(&machine) }
        #expect(!machine.isClosed)
        let last = Self.login(&machine)
        #expect(last.contains { if case .close = $0 { true } else { false } })
    }
}

/// Jitsi's `mod_presence_identity` on a token host.
@Suite struct PresenceIdentityTests {
    static func bound(token: String?) throws -> C2SStateMachine {
        var machine = C2SStateMachineTokenTests.machine(token: token, allowEmpty: true)
        _ = C2SStateMachineTokenTests.login(&machine)
        let header = XMLStreamHeader(
            name: "stream",
            namespace: Namespace.streams,
            attributes: [XMLAttribute(name: "to", value: "meet.jitsi"), XMLAttribute(name: "version", value: "1.0")],
            defaultNamespace: Namespace.client,
            prefixes: ["stream": Namespace.streams]
        )
        _ = machine.streamOpened(header)
        var bind = XMLElement(
            name: "iq",
            namespace: Namespace.client,
            attributes: [
                XMLAttribute(name: "type", value: "set"), XMLAttribute(name: "id", value: "b1"),
            ]
        )
        bind.append(XMLElement(name: "bind", namespace: Namespace.bind))
        _ = machine.receive(bind)
        try #require(machine.isBound)
        return machine
    }

    static func presence(to: String, identity: Bool) -> XMLElement {
        var presence = XMLElement(
            name: "presence",
            namespace: Namespace.client,
            attributes: [XMLAttribute(name: "to", value: to)]
        )
        presence.append(XMLElement(name: "nick", namespace: "http://jabber.org/protocol/nick"))
        if identity {
            var spoofed = XMLElement(name: "identity", namespace: Namespace.client)
            spoofed.append(XMLElement(name: "user", namespace: Namespace.client))
            presence.append(spoofed)
        }
        return presence
    }

    static func routed(_ actions: [C2SAction]) -> Stanza? {
        for case .route(let stanza) in actions { return stanza }
        return nil
    }

    @Test func theTokensUserAndGroupReplaceWhatTheClientSent() throws {
        let token = C2SStateMachineTokenTests.token([
            "iss": "my_app", "aud": "jitsi", "room": "*", "exp": C2SStateMachineTokenTests.now + 600,
            "context": [
                "user": [
                    "id": "u1", "name": "Alice <A&B>", "moderator": true, "lobby_bypass": 1, "bad key": "x",
                    "nested": ["a": 1], "ctl": "a\u{1}b",
                ] as [String: Any],
                "group": "g1",
            ] as [String: Any],
        ])
        var machine = try Self.bound(token: token)
        let stanza = try #require(
            Self.routed(machine.receive(Self.presence(to: "retro@muc.meet.jitsi/alice", identity: true)))
        )
        let identities = stanza.body.elements.filter { $0.name == "identity" }
        #expect(identities.count == 1)
        let user = try #require(identities.first?.child("user"))
        #expect(user.elements.map(\.name) == ["id", "lobby_bypass", "moderator", "name"])
        #expect(user.elements.map(\.text) == ["u1", "1", "true", "Alice <A&B>"])
        #expect(identities.first?.child("group")?.text == "g1")
        #expect(stanza.body.child("nick") != nil)
    }

    @Test func withoutAUserTheClientsIdentityIsStillRemoved() throws {
        var machine = try Self.bound(token: nil)
        let stanza = try #require(
            Self.routed(machine.receive(Self.presence(to: "retro@muc.meet.jitsi/alice", identity: true)))
        )
        #expect(stanza.body.child("identity") == nil)
    }
}
