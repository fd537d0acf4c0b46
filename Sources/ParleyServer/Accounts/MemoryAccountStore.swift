import ParleyCore
import Synchronization

/// An `AccountStore` in memory, for `parley serve --ephemeral` and tests: nothing survives the process.
public final class MemoryAccountStore: AccountStore {
    private let accounts = Mutex<[JID: [HashAlgorithm: SCRAMCredentials]]>([:])

    public init() {}

    public func credentials(username: String, host: String, algorithm: HashAlgorithm) -> SCRAMCredentials? {
        guard let jid = try? AccountRecord.address(username: username, host: host) else { return nil }
        return self.accounts.withLock { $0[jid]?[algorithm] }
    }

    public func setPassword(_ password: String, username: String, host: String) throws {
        let jid = try AccountRecord.address(username: username, host: host)
        // PBKDF2 runs outside the lock.
        let credentials = try AccountRecord.credentials(password: password)
        let byAlgorithm = Dictionary(uniqueKeysWithValues: credentials.map { ($0.algorithm, $0) })
        self.accounts.withLock { $0[jid] = byAlgorithm }
    }

    public func setCredentials(_ credentials: [SCRAMCredentials], username: String, host: String) throws {
        let jid = try AccountRecord.address(username: username, host: host)
        try AccountRecord.validate(credentials)
        let byAlgorithm = Dictionary(uniqueKeysWithValues: credentials.map { ($0.algorithm, $0) })
        self.accounts.withLock { $0[jid] = byAlgorithm }
    }

    public func delete(username: String, host: String) -> Bool {
        guard let jid = try? AccountRecord.address(username: username, host: host) else { return false }
        return self.accounts.withLock { $0.removeValue(forKey: jid) != nil }
    }

    public func exists(username: String, host: String) -> Bool {
        guard let jid = try? AccountRecord.address(username: username, host: host) else { return false }
        return self.accounts.withLock { $0[jid] != nil }
    }

    public func list(host: String?) -> [JID] {
        let all = self.accounts.withLock { Array($0.keys) }
        guard let host else { return AccountRecord.sorted(all) }
        guard let domain = AccountRecord.preparedHost(host) else { return [] }
        return AccountRecord.sorted(all.filter { $0.domainpart == domain })
    }
}
