import Foundation
import ParleyCore
import ParleyXML

/// SASL negotiation (RFC 6120 §6): `<auth/>`, `<challenge/>`/`<response/>`, `<success/>` or `<failure/>`.
extension C2SStateMachine {
    mutating func startSASL(_ auth: XMLElement) -> [C2SAction] {
        guard let host = self.host else { return self.fail(StreamError(.internalServerError)) }
        guard let name = auth[attribute: "mechanism"].flatMap(SASLMechanismName.init(rawValue:)),
            host.mechanisms.contains(name)
        else {
            return self.saslFailed(SASLFailure(.invalidMechanism, text: "Mechanism not offered"))
        }
        if !self.secured && self.encryptionRequired {
            return self.saslFailed(SASLFailure(.encryptionRequired, text: "Use STARTTLS first"))
        }
        let initial: [UInt8]
        switch C2SStateMachine.decodeSASLPayload(auth.text) {
        case .some(let bytes): initial = bytes
        case .none: return self.saslFailed(SASLFailure(.incorrectEncoding))
        }
        switch name {
        case .anonymous where host.authentication == .token:
            // Jitsi's mod_auth_token: ANONYMOUS, admitted by the token on the web session's URL.
            self.state = .awaitingToken
            return [.verifyToken(self.sessionToken, host: host)]
        case .anonymous:
            return self.saslStep(
                .success(username: self.anonymousUsername, additionalData: []),
                exchange: nil,
                host: host
            )
        case .plain:
            var plain = SASLPlainServer()
            let step = plain.receive(initial)
            return self.saslStep(step, exchange: .plain(plain), host: host)
        case .scramSHA1, .scramSHA256:
            var scram = SCRAMServer(algorithm: name == .scramSHA1 ? .sha1 : .sha256)
            if initial.isEmpty {
                self.state = .authenticating(.scram(scram))
                return [.send(XMLElement(name: "challenge", namespace: Namespace.sasl))]
            }
            let step = scram.receive(initial)
            return self.saslStep(step, exchange: .scram(scram), host: host)
        }
    }

    /// The session's answer to `.lookUpCredentials`: the stored credentials, or nil (no such account, or the
    /// store failed, which the lookup logged).
    mutating func credentialsLookedUp(_ credentials: SCRAMCredentials?) -> [C2SAction] {
        guard case .awaitingCredentials(let exchange) = self.state, let host = self.host else { return [] }
        switch exchange {
        case .scram(var scram):
            let step = scram.credentials(credentials)
            return self.saslStep(step, exchange: .scram(scram), host: host)
        case .plain(var plain):
            let step = plain.credentials(credentials)
            return self.saslStep(step, exchange: .plain(plain), host: host)
        }
    }

    /// The session's answer to `.verifyToken`: the token's claims (nil for a token-less session the host allows)
    /// or why it was refused, which becomes the `<failure/>`'s text (Jitsi's reasons: "token required",
    /// "Invalid signature", "Not acceptable by exp", …). The username is random, as SASL ANONYMOUS gives it.
    mutating func tokenVerified(_ result: Result<TokenClaims?, TokenError>) -> [C2SAction] {
        guard case .awaitingToken = self.state, let host = self.host else { return [] }
        switch result {
        case .success(let claims):
            self.noteVerifiedToken(claims)
            return self.saslStep(
                .success(username: self.anonymousUsername, additionalData: []),
                exchange: nil,
                host: host
            )
        case .failure(let error):
            return self.saslFailed(SASLFailure(.notAuthorized, text: error.text))
        }
    }

    mutating func continueSASL(_ element: XMLElement, _ exchange: SASLExchange) -> [C2SAction] {
        guard let host = self.host else { return self.fail(StreamError(.internalServerError)) }
        switch (element.namespace, element.name) {
        case (Namespace.sasl, "abort"):
            self.state = .negotiating
            return [.send(C2SStateMachine.failureElement(SASLFailure(.aborted)))]
        case (Namespace.sasl, "response"):
            guard let bytes = C2SStateMachine.decodeSASLPayload(element.text) else {
                self.state = .negotiating
                return self.saslFailed(SASLFailure(.incorrectEncoding))
            }
            switch exchange {
            case .scram(var scram):
                let step = scram.receive(bytes)
                return self.saslStep(step, exchange: .scram(scram), host: host)
            case .plain:
                self.state = .negotiating
                return self.saslFailed(SASLFailure(.malformedRequest, text: "PLAIN takes no response"))
            }
        default:
            return self.fail(StreamError(.policyViolation, text: "Expected a SASL response"))
        }
    }

    /// One step of `exchange`: the next state, and what to send or look up.
    private mutating func saslStep(_ step: SASLStep, exchange: SASLExchange?, host: HostConfiguration) -> [C2SAction] {
        switch step {
        case .credentialsNeeded(let request):
            guard let exchange else { return self.fail(StreamError(.internalServerError)) }
            self.state = .awaitingCredentials(exchange)
            return [.lookUpCredentials(request, host: host)]
        case .challenge(let bytes):
            guard let exchange else { return self.fail(StreamError(.internalServerError)) }
            self.state = .authenticating(exchange)
            var challenge = XMLElement(name: "challenge", namespace: Namespace.sasl)
            challenge.append(text: Base64.encode(bytes))
            return [.send(challenge)]
        case .failure(let failure):
            return self.saslFailed(failure)
        case .success(let username, let data):
            let local = username.utf8.firstIndex(of: UInt8(ascii: "@")).map { String(username[..<$0]) } ?? username
            guard let jid = try? JID(localpart: local, domainpart: host.domain, resourcepart: nil) else {
                return self.saslFailed(SASLFailure(.notAuthorized, text: "Invalid username"))
            }
            self.markAuthenticated(jid)
            var success = XMLElement(name: "success", namespace: Namespace.sasl)
            if !data.isEmpty { success.append(text: Base64.encode(data)) }
            return [.send(success), .authenticated(jid), .restartStream]
        }
    }

    private mutating func saslFailed(_ failure: SASLFailure) -> [C2SAction] {
        self.noteAuthFailure()
        if self.tooManyAuthFailures {
            return [.send(C2SStateMachine.failureElement(failure))]
                + self.fail(StreamError(.policyViolation, text: "Too many failed authentication attempts"))
        }
        self.state = .negotiating
        return [.send(C2SStateMachine.failureElement(failure))]
    }

    static func failureElement(_ failure: SASLFailure) -> XMLElement {
        var element = XMLElement(name: "failure", namespace: Namespace.sasl)
        element.append(XMLElement(name: failure.condition.rawValue, namespace: Namespace.sasl))
        if let text = failure.text {
            var t = XMLElement(name: "text", namespace: Namespace.sasl)
            t.append(text: text)
            element.append(t)
        }
        return element
    }

    /// RFC 6120 §6.4.2: `=` is an empty response; otherwise strict base64.
    static func decodeSASLPayload(_ text: String) -> [UInt8]? {
        // XML white space around the text (XML 1.0 §2.3: space, tab, CR, LF) is not part of the payload.
        let bytes = text.utf8
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return [] }
        let trimmed = Substring(bytes[first...last])
        if trimmed == "=" { return [] }
        return Base64.decode(trimmed)
    }
}
