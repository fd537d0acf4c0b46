/// The server side of SCRAM (RFC 5802 §5; SCRAM-SHA-256: RFC 7677), without channel binding:
/// a pure state machine fed the decoded client messages.
///
/// ```
/// C: n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL
/// S: r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096
/// C: c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=
/// S: v=rmF9pqV8S7suAoZWja4dJRkFsKQ=
/// ```
public struct SCRAMServer: Sendable {
    enum State: Sendable {
        case awaitingClientFirst
        /// The client-first-message was parsed; the user's stored credentials are being looked up.
        case awaitingCredentials(clientFirstBare: String, nonce: String, username: String)
        case awaitingClientFinal(
            clientFirstBare: String,
            serverFirst: String,
            nonce: String,
            username: String,
            credentials: SCRAMCredentials?
        )
        case done
    }

    public let algorithm: HashAlgorithm
    private var state: State = .awaitingClientFirst
    private let serverNonce: String
    /// Used instead of a real account's salt when the user does not exist, so the answer does not
    /// tell an attacker which accounts exist (RFC 5802 §9).
    private let decoySalt: [UInt8]

    public init(algorithm: HashAlgorithm, serverNonce: String? = nil) {
        self.algorithm = algorithm
        self.serverNonce = serverNonce ?? Base64.encode(SecureRandom.bytes(18))
        self.decoySalt = SecureRandom.bytes(16)
    }

    /// Feeds one client message, looking the credentials up at once when they are needed.
    public mutating func receive(_ message: [UInt8], lookup: some SASLCredentialLookup) -> SASLStep {
        let step = self.receive(message)
        guard case .credentialsNeeded(let request) = step else { return step }
        return self.credentials(request.answer(from: lookup))
    }

    /// Feeds one client message: the client-first-message yields `.credentialsNeeded` (answer it with
    /// `credentials(_:)`), the client-final-message success or failure.
    public mutating func receive(_ message: [UInt8]) -> SASLStep {
        switch self.state {
        case .awaitingClientFirst:
            return self.clientFirst(message)
        case .awaitingCredentials:
            self.state = .done
            return .failure(SASLFailure(.malformedRequest, text: "Wait for the server-first-message"))
        case let .awaitingClientFinal(clientFirstBare, serverFirst, nonce, username, credentials):
            self.state = .done
            return self.clientFinal(
                message,
                clientFirstBare: clientFirstBare,
                serverFirst: serverFirst,
                nonce: nonce,
                username: username,
                credentials: credentials
            )
        case .done:
            return .failure(SASLFailure(.malformedRequest, text: "Authentication already finished"))
        }
    }

    /// The stored credentials `.credentialsNeeded` asked for (nil: no such account, answered with a decoy salt so
    /// that the exchange looks the same, RFC 5802 §9). Yields the server-first-message as a challenge.
    public mutating func credentials(_ credentials: SCRAMCredentials?) -> SASLStep {
        guard case let .awaitingCredentials(clientFirstBare, nonce, username) = self.state else {
            self.state = .done
            return .failure(SASLFailure(.malformedRequest, text: "No client-first-message to answer"))
        }
        let salt = credentials?.salt ?? self.decoySalt
        let iterations = credentials?.iterations ?? SCRAMCredentials.defaultIterations
        let serverFirst = "r=\(nonce),s=\(Base64.encode(salt)),i=\(iterations)"
        self.state = .awaitingClientFinal(
            clientFirstBare: clientFirstBare,
            serverFirst: serverFirst,
            nonce: nonce,
            username: username,
            credentials: credentials
        )
        return .challenge(Array(serverFirst.utf8))
    }

    private mutating func clientFirst(_ message: [UInt8]) -> SASLStep {
        self.state = .done
        guard let text = String(validating: message, as: UTF8.self), !text.isEmpty else {
            return .failure(SASLFailure(.malformedRequest, text: "Missing client-first-message"))
        }
        // gs2-header: gs2-cbind-flag "," [ authzid ] ","
        let parts = text.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(SASLFailure(.malformedRequest, text: "Bad gs2-header")) }
        switch parts[0] {
        case "n", "y": break
        case let flag where flag.hasPrefix("p="):
            return .failure(SASLFailure(.malformedRequest, text: "Channel binding is not supported"))
        default:
            return .failure(SASLFailure(.malformedRequest, text: "Bad gs2-cbind-flag"))
        }
        let clientFirstBare = String(parts[2])
        let attributes = SCRAMServer.attributes(clientFirstBare)
        guard attributes.first?.key == "n", let rawName = attributes.first?.value,
            attributes.count >= 2, attributes[1].key == "r", !attributes[1].value.isEmpty
        else {
            return .failure(SASLFailure(.malformedRequest, text: "Bad client-first-message"))
        }
        if attributes.contains(where: { $0.key == "\0" }) {
            return .failure(SASLFailure(.malformedRequest, text: "Bad client-first-message"))
        }
        if attributes[0].value.isEmpty || attributes.contains(where: { $0.key == "m" }) {
            return .failure(SASLFailure(.malformedRequest, text: "Unsupported SCRAM extension"))
        }
        guard let username = SCRAMServer.decodeSaslName(rawName) else {
            return .failure(SASLFailure(.malformedRequest, text: "Bad saslname encoding"))
        }
        if !parts[1].isEmpty {
            // An authzid other than the authenticating user is not supported.
            let authzid = parts[1]
            guard authzid.hasPrefix("a="), let decoded = SCRAMServer.decodeSaslName(String(authzid.dropFirst(2))),
                decoded.split(separator: "@").first.map(String.init) == username
            else { return .failure(SASLFailure(.invalidAuthzid)) }
        }
        let clientNonce = attributes[1].value
        guard clientNonce.allSatisfy({ $0 != "," && $0.isASCII && !$0.isWhitespace }) else {
            return .failure(SASLFailure(.malformedRequest, text: "Bad nonce"))
        }
        self.state = .awaitingCredentials(
            clientFirstBare: clientFirstBare,
            nonce: clientNonce + self.serverNonce,
            username: username
        )
        return .credentialsNeeded(CredentialRequest(username: username, algorithms: [self.algorithm]))
    }

    private func clientFinal(
        _ message: [UInt8],
        clientFirstBare: String,
        serverFirst: String,
        nonce: String,
        username: String,
        credentials: SCRAMCredentials?
    ) -> SASLStep {
        guard let text = String(validating: message, as: UTF8.self) else {
            return .failure(SASLFailure(.malformedRequest, text: "Bad client-final-message"))
        }
        let attributes = SCRAMServer.attributes(text)
        guard attributes.count >= 3, attributes[0].key == "c", attributes[1].key == "r",
            let proofAttribute = attributes.last, proofAttribute.key == "p",
            let proof = Base64.decode(proofAttribute.value),
            let binding = Base64.decode(attributes[0].value)
        else {
            return .failure(SASLFailure(.malformedRequest, text: "Bad client-final-message"))
        }
        guard binding == Array("n,,".utf8) || binding == Array("y,,".utf8) else {
            return .failure(SASLFailure(.notAuthorized, text: "Channel binding mismatch"))
        }
        guard attributes[1].value == nonce else {
            return .failure(SASLFailure(.notAuthorized, text: "Nonce mismatch"))
        }
        guard let credentials, proof.count == self.algorithm.digestLength else {
            return .failure(SASLFailure(.notAuthorized))
        }
        guard let commaP = text.range(of: ",p=", options: .backwards) else {
            return .failure(SASLFailure(.malformedRequest))
        }
        let withoutProof = String(text[..<commaP.lowerBound])
        let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
        let clientSignature = self.algorithm.hmac(key: credentials.storedKey, authMessage)
        var clientKey = [UInt8](repeating: 0, count: proof.count)
        for i in 0..<proof.count { clientKey[i] = proof[i] ^ clientSignature[i] }
        guard constantTimeEquals(self.algorithm.hash(clientKey), credentials.storedKey) else {
            return .failure(SASLFailure(.notAuthorized))
        }
        let serverSignature = self.algorithm.hmac(key: credentials.serverKey, authMessage)
        return .success(username: username, additionalData: Array("v=\(Base64.encode(serverSignature))".utf8))
    }

    /// Splits `k=v,k=v` into ordered pairs; a malformed pair yields an empty key.
    static func attributes(_ text: String) -> [(key: Character, value: String)] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let chars = Array(part)
            guard chars.count >= 2, chars[1] == "=" else { return (key: "\0", value: "") }
            return (key: chars[0], value: String(part.dropFirst(2)))
        }
    }

    /// `saslname` (RFC 5802 §5.1): `=2C` is `,` and `=3D` is `=`; any other `=` is an error.
    static func decodeSaslName(_ name: String) -> String? {
        guard name.contains("=") else { return name }
        var out = ""
        var rest = Substring(name)
        while let eq = rest.firstIndex(of: "=") {
            out += rest[..<eq]
            let code = rest[rest.index(after: eq)...].prefix(2)
            switch code {
            case "2C": out += ","
            case "3D": out += "="
            default: return nil
            }
            rest = rest[rest.index(eq, offsetBy: 3)...]
        }
        return out + rest
    }
}
