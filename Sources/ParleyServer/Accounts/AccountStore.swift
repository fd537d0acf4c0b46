import ParleyCore

/// Where accounts of `internal_hashed` hosts live: for each account, salted SCRAM credentials for SHA-1 and
/// SHA-256 (RFC 5802, RFC 7677), never the password.
///
/// Usernames and hosts are prepared as JID parts (`Focus` and `focus` are one account). Lookups of a name that
/// is not a valid localpart find nothing; only `setPassword` reports it, as `AccountStoreError.invalidAddress`.
/// Implementations: `SQLiteAccountStore` (the default, on disk) and `MemoryAccountStore` (`--ephemeral`, tests).
public protocol AccountStore: Sendable {
    /// The stored credentials of `username@host` for `algorithm`, or nil when there is no such account.
    func credentials(username: String, host: String, algorithm: HashAlgorithm) throws -> SCRAMCredentials?

    /// Creates the account, or replaces its credentials: fresh random salts, `SCRAMCredentials.defaultIterations`,
    /// one set per `HashAlgorithm`.
    func setPassword(_ password: String, username: String, host: String) throws

    /// Creates the account, or replaces all its credentials, with credentials derived elsewhere: the
    /// SCRAM-SHA-1 keys of Prosody's `internal_hashed` accounts (`parley import prosody`). An algorithm missing
    /// from `credentials` has none afterwards, so that algorithm's SCRAM mechanism refuses the account
    /// (`HostCredentialLookup` finds nothing) while the others, and PLAIN, work. Throws
    /// `AccountStoreError.invalidCredentials` for keys of the wrong length or an iteration count out of range.
    func setCredentials(_ credentials: [SCRAMCredentials], username: String, host: String) throws

    /// Removes the account; false when there was none.
    func delete(username: String, host: String) throws -> Bool

    /// Whether the account exists.
    func exists(username: String, host: String) throws -> Bool

    /// The bare JIDs of all accounts, or of those on `host`, sorted.
    func list(host: String?) throws -> [JID]
}

/// Why an account store refused or failed. Descriptions never contain a password or a stored key.
public enum AccountStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The username or host is not a valid JID part.
    case invalidAddress(JIDError)
    /// An empty password cannot be set.
    case emptyPassword
    /// Imported credentials whose keys do not fit their algorithm, or with an iteration count out of range.
    case invalidCredentials(String)
    /// The storage failed (the SQLite result code and message, without any statement arguments).
    case storage(String)

    public var description: String {
        switch self {
        case .invalidAddress(let error): "invalid account address: \(error)"
        case .emptyPassword: "the password is empty"
        case .invalidCredentials(let reason): "invalid credentials: \(reason)"
        case .storage(let message): "account storage failed: \(message)"
        }
    }
}

extension AccountStore {
    /// Stores that cannot import credentials (test doubles) refuse.
    public func setCredentials(_ credentials: [SCRAMCredentials], username: String, host: String) throws {
        throw AccountStoreError.storage("this account store cannot import credentials")
    }
}

/// The preparation and derivation both stores share.
enum AccountRecord {
    /// `username@host` prepared, or the reason it is not an account address.
    static func address(username: String, host: String) throws(AccountStoreError) -> JID {
        do {
            return try JID(localpart: username, domainpart: host, resourcepart: nil)
        } catch {
            throw .invalidAddress(error)
        }
    }

    /// A host prepared as a domainpart, or nil when it is not one.
    static func preparedHost(_ host: String) -> String? {
        try? JID(localpart: nil, domainpart: host, resourcepart: nil).domainpart
    }

    /// One set of credentials per algorithm, each with its own random salt.
    static func credentials(password: String) throws(AccountStoreError) -> [SCRAMCredentials] {
        guard !password.isEmpty else { throw .emptyPassword }
        return HashAlgorithm.allCases.map { algorithm in
            SCRAMCredentials.derive(
                password: password,
                algorithm: algorithm,
                salt: SecureRandom.bytes(16),
                iterations: SCRAMCredentials.defaultIterations
            )
        }
    }

    /// Checks imported credentials: one set per algorithm at most, keys as long as the algorithm's digest,
    /// a salt, and an iteration count the server accepts.
    static func validate(_ credentials: [SCRAMCredentials]) throws(AccountStoreError) {
        guard !credentials.isEmpty else { throw .invalidCredentials("none given") }
        guard Set(credentials.map(\.algorithm)).count == credentials.count else {
            throw .invalidCredentials("two sets for one algorithm")
        }
        for credential in credentials {
            let length = credential.algorithm.digestLength
            guard credential.storedKey.count == length, credential.serverKey.count == length else {
                throw .invalidCredentials("\(credential.algorithm.rawValue) keys must be \(length) bytes")
            }
            guard !credential.salt.isEmpty else { throw .invalidCredentials("empty salt") }
            guard (1...SCRAMCredentials.maximumIterations).contains(credential.iterations) else {
                throw .invalidCredentials(
                    "iteration count \(credential.iterations) is not within 1...\(SCRAMCredentials.maximumIterations)"
                )
            }
        }
    }

    /// The order `list` returns.
    static func sorted(_ jids: [JID]) -> [JID] {
        jids.sorted { ($0.domainpart, $0.localpart ?? "") < ($1.domainpart, $1.localpart ?? "") }
    }
}
