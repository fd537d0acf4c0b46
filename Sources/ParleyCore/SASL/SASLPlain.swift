/// SASL PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`, in one initial response.
public enum SASLPlain {
    /// The parsed message: the authentication identity and the password. `nil` when malformed.
    public static func parse(_ message: [UInt8]) -> (authzid: String, username: String, password: String)? {
        let parts = message.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3,
            let authzid = String(validating: parts[0], as: UTF8.self),
            let username = String(validating: parts[1], as: UTF8.self),
            let password = String(validating: parts[2], as: UTF8.self),
            !username.isEmpty, !password.isEmpty, username.utf8.count <= 1023, password.utf8.count <= 1023,
            !password.utf8.contains(0)
        else { return nil }
        return (authzid, username, password)
    }

    /// Verifies a PLAIN message against stored SCRAM credentials (the store keeps no passwords), looked up at once.
    public static func authenticate(_ message: [UInt8], lookup: some SASLCredentialLookup) -> SASLStep {
        var server = SASLPlainServer()
        let step = server.receive(message)
        guard case .credentialsNeeded(let request) = step else { return step }
        return server.credentials(request.answer(from: lookup))
    }
}

/// The server side of PLAIN as a pure state machine: the message in, a credential request out, the stored
/// credentials in, success or failure out (RFC 4616; verified against SCRAM credentials, RFC 5802 §3).
public struct SASLPlainServer: Sendable {
    private var pending: (username: String, password: String)?

    public init() {}

    /// The client's one message (the initial response).
    public mutating func receive(_ message: [UInt8]) -> SASLStep {
        guard let (authzid, username, password) = SASLPlain.parse(message) else {
            return .failure(SASLFailure(.malformedRequest, text: "Malformed PLAIN message"))
        }
        if !authzid.isEmpty, authzid.split(separator: "@").first.map(String.init) != username {
            return .failure(SASLFailure(.invalidAuthzid))
        }
        self.pending = (username, password)
        return .credentialsNeeded(CredentialRequest(username: username, algorithms: [.sha256, .sha1]))
    }

    /// The stored credentials asked for (nil: no such account). The password is forgotten either way.
    public mutating func credentials(_ credentials: SCRAMCredentials?) -> SASLStep {
        guard let (username, password) = self.pending else {
            return .failure(SASLFailure(.malformedRequest, text: "No PLAIN message to verify"))
        }
        self.pending = nil
        guard let credentials, credentials.verify(password: password) else {
            return .failure(SASLFailure(.notAuthorized))
        }
        return .success(username: username, additionalData: [])
    }
}

/// SASL ANONYMOUS (RFC 4505) as Jitsi's `jitsi-anonymous` does it: any trace data is ignored and the
/// session gets a random lowercase username.
public enum SASLAnonymous {
    public static func randomUsername() -> String {
        SecureRandom.string(count: 16, alphabet: SecureRandom.lowercaseAlphanumerics)
    }
}
