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
    /// The storage failed (the SQLite result code and message, without any statement arguments).
    case storage(String)

    public var description: String {
        switch self {
        case .invalidAddress(let error): "invalid account address: \(error)"
        case .emptyPassword: "the password is empty"
        case .storage(let message): "account storage failed: \(message)"
        }
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

    /// The order `list` returns.
    static func sorted(_ jids: [JID]) -> [JID] {
        jids.sorted { ($0.domainpart, $0.localpart ?? "") < ($1.domainpart, $1.localpart ?? "") }
    }
}
