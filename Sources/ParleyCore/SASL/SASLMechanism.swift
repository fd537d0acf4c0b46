/// The SASL mechanisms Parley offers (RFC 6120 §6). Names are case-sensitive on the wire.
public enum SASLMechanismName: String, Sendable, Hashable, CaseIterable, Codable {
    case scramSHA256 = "SCRAM-SHA-256"
    case scramSHA1 = "SCRAM-SHA-1"
    case plain = "PLAIN"
    case anonymous = "ANONYMOUS"
}

/// A SASL failure condition (RFC 6120 §6.5), sent as `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>`.
public enum SASLFailureCondition: String, Sendable, Hashable {
    case aborted
    case accountDisabled = "account-disabled"
    case credentialsExpired = "credentials-expired"
    case encryptionRequired = "encryption-required"
    case incorrectEncoding = "incorrect-encoding"
    case invalidAuthzid = "invalid-authzid"
    case invalidMechanism = "invalid-mechanism"
    case malformedRequest = "malformed-request"
    case mechanismTooWeak = "mechanism-too-weak"
    case notAuthorized = "not-authorized"
    case temporaryAuthFailure = "temporary-auth-failure"
}

/// A SASL failure with an optional human-readable text.
public struct SASLFailure: Error, Sendable, Hashable {
    public var condition: SASLFailureCondition
    public var text: String?
    public init(_ condition: SASLFailureCondition, text: String? = nil) {
        self.condition = condition
        self.text = text
    }
}

/// What a server-side mechanism step yields.
public enum SASLStep: Sendable, Hashable {
    /// Look up the stored credentials of `username` (the first of `algorithms` found) and hand them to the
    /// mechanism's `credentials(_:)`: the mechanism does no I/O of its own, so a caller may look them up wherever
    /// the store allows (off the event loop for SQLite).
    case credentialsNeeded(CredentialRequest)
    /// Send `<challenge>` with these bytes and wait for a `<response>`.
    case challenge([UInt8])
    /// Authentication succeeded as `username`; send `<success>` with these additional data (may be empty).
    case success(username: String, additionalData: [UInt8])
    /// Send `<failure>`.
    case failure(SASLFailure)
}

/// Which stored credentials a mechanism needs: `username`'s, for the first of `algorithms` the store has.
public struct CredentialRequest: Sendable, Hashable {
    public var username: String
    public var algorithms: [HashAlgorithm]

    public init(username: String, algorithms: [HashAlgorithm]) {
        self.username = username
        self.algorithms = algorithms
    }

    /// Answers the request from `lookup`, in the order of `algorithms`.
    public func answer(from lookup: some SASLCredentialLookup) -> SCRAMCredentials? {
        for algorithm in self.algorithms {
            if let found = lookup.scramCredentials(username: self.username, algorithm: algorithm) { return found }
        }
        return nil
    }
}

/// Looks up stored credentials; implemented by the server's account store.
public protocol SASLCredentialLookup: Sendable {
    /// The stored SCRAM credentials of `username` for `algorithm`, or nil when there is no such account.
    func scramCredentials(username: String, algorithm: HashAlgorithm) -> SCRAMCredentials?
    /// Whether a lookup may block the calling thread (disk): the c2s session then runs it on a thread pool.
    var mayBlock: Bool { get }
}

extension SASLCredentialLookup {
    public var mayBlock: Bool { false }
}
