import Logging
import ParleyCore

/// The SCRAM and PLAIN mechanisms' view of one host's accounts (`SASLCredentialLookup`).
///
/// A store failure is logged (host and error only: never the username, a password or a key) and answered as
/// "no such account", so the client gets `<not-authorized/>` and the connection lives on.
public struct HostCredentialLookup: SASLCredentialLookup {
    public var store: any AccountStore
    /// The host's domain, as configured.
    public var host: String
    public var logger: Logger?

    public init(store: any AccountStore, host: String, logger: Logger? = nil) {
        self.store = store
        self.host = host
        self.logger = logger
    }

    /// Memory stores answer at once; every other store (SQLite) may wait for the disk.
    public var mayBlock: Bool { !(self.store is MemoryAccountStore) }

    public func scramCredentials(username: String, algorithm: HashAlgorithm) -> SCRAMCredentials? {
        do {
            return try self.store.credentials(username: username, host: self.host, algorithm: algorithm)
        } catch let error as AccountStoreError {
            self.logger?.error(
                "account lookup failed",
                metadata: ["host": "\(self.host)", "error": "\(error.description)"]
            )
            return nil
        } catch {
            self.logger?.error(
                "account lookup failed",
                metadata: ["host": "\(self.host)", "error": "\(type(of: error))"]
            )
            return nil
        }
    }
}
