import ParleyCore
import Synchronization

/// The accounts the control API manages at run time (`POST /control/accounts`, `DELETE /control/accounts/{jid}`)
/// over the server's `AccountStore`, and how a reset brings them back to those configured: accounts that were not
/// there at start-up are removed, then `restore` applies the configured ones again (the file's `accounts` and
/// `--account`), so a removed or changed configured account is back with its configured password.
///
/// The store may block (SQLite): callers run these off the event loops.
public final class ControlAccounts: Sendable {
    private let store: any AccountStore
    private let initial: Set<JID>
    private let restore: @Sendable () throws -> Void

    /// - Parameter restore: applies the configured accounts to `store` (what start-up did).
    public init(store: any AccountStore, restore: @escaping @Sendable () throws -> Void) throws {
        self.store = store
        self.initial = Set(try store.list(host: nil))
        self.restore = restore
    }

    public func add(_ jid: JID, password: String) throws {
        try self.store.setPassword(password, username: jid.localpart ?? "", host: jid.domainpart)
    }

    public func remove(_ jid: JID) throws -> Bool {
        try self.store.delete(username: jid.localpart ?? "", host: jid.domainpart)
    }

    public func list() throws -> [JID] { try self.store.list(host: nil) }

    /// Back to the configured accounts.
    public func reset() throws {
        for jid in try self.store.list(host: nil) where !self.initial.contains(jid) {
            _ = try self.store.delete(username: jid.localpart ?? "", host: jid.domainpart)
        }
        try self.restore()
    }
}
