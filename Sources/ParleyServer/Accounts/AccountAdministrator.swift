import ParleyCore

/// The rules of `parley user`: accounts are added to, and passwords changed on, `internal_hashed` hosts of the
/// configuration only. The CLI reads the password; everything else is here, where tests reach it.
public struct AccountAdministrator: Sendable {
    public var configuration: ServerConfiguration
    public var store: any AccountStore

    public init(configuration: ServerConfiguration, store: any AccountStore) {
        self.configuration = configuration
        self.store = store
    }

    /// Parses an account address: a bare JID with a username (`user@host`).
    public static func accountJID(_ text: String) throws(AccountAdministrationError) -> JID {
        let jid: JID
        do {
            jid = try JID(text)
        } catch {
            throw .invalidJID(text, error)
        }
        guard jid.localpart != nil, jid.resourcepart == nil else { throw .notAnAccountJID(text) }
        return jid
    }

    /// Creates an account; fails when it exists.
    public func add(_ jid: JID, password: String) throws(AccountAdministrationError) {
        let username = try self.checkedUsername(jid)
        try self.checkHost(of: jid)
        guard try !self.storeCall({ try self.store.exists(username: username, host: jid.domainpart) }) else {
            throw .alreadyExists(jid)
        }
        try self.storeCall { try self.store.setPassword(password, username: username, host: jid.domainpart) }
    }

    /// Replaces an account's password; fails when there is no such account.
    public func changePassword(_ jid: JID, password: String) throws(AccountAdministrationError) {
        let username = try self.checkedUsername(jid)
        try self.checkHost(of: jid)
        guard try self.storeCall({ try self.store.exists(username: username, host: jid.domainpart) }) else {
            throw .noSuchAccount(jid)
        }
        try self.storeCall { try self.store.setPassword(password, username: username, host: jid.domainpart) }
    }

    /// Deletes an account, on any host (so accounts of a host since removed can be cleaned up); fails when there
    /// is no such account.
    public func delete(_ jid: JID) throws(AccountAdministrationError) {
        let username = try self.checkedUsername(jid)
        guard try self.storeCall({ try self.store.delete(username: username, host: jid.domainpart) }) else {
            throw .noSuchAccount(jid)
        }
    }

    /// The accounts of `host`, or all of them.
    public func list(host: String?) throws(AccountAdministrationError) -> [JID] {
        try self.storeCall { try self.store.list(host: host) }
    }

    /// The configuration's declaration of `jid`, whose password start-up provisioning resets.
    public func declaredAccount(_ jid: JID) -> ServerConfiguration.Account? {
        self.configuration.accounts.first { $0.jid == jid.bare }
    }

    private func checkedUsername(_ jid: JID) throws(AccountAdministrationError) -> String {
        guard let username = jid.localpart, jid.resourcepart == nil else { throw .notAnAccountJID("\(jid)") }
        return username
    }

    private func checkHost(of jid: JID) throws(AccountAdministrationError) {
        guard let host = self.configuration.host(named: jid.domainpart) else {
            let known = self.configuration.hosts.filter { $0.authentication == .internalHashed }.map(\.domain)
            throw .unknownHost(jid.domainpart, internalHashedHosts: known)
        }
        guard host.authentication == .internalHashed else {
            throw .notInternalHashed(host.domain, host.authentication)
        }
    }

    private func storeCall<T>(_ body: () throws -> T) throws(AccountAdministrationError) -> T {
        do {
            return try body()
        } catch let error as AccountStoreError {
            throw .store(error)
        } catch {
            throw .store(.storage("\(error)"))
        }
    }
}

/// Why `parley user` refused. The descriptions are the messages the CLI prints.
public enum AccountAdministrationError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidJID(String, JIDError)
    case notAnAccountJID(String)
    case unknownHost(String, internalHashedHosts: [String])
    case notInternalHashed(String, ServerConfiguration.Authentication)
    case alreadyExists(JID)
    case noSuchAccount(JID)
    case store(AccountStoreError)

    public var description: String {
        switch self {
        case .invalidJID(let text, let error):
            return "'\(text)' is not a valid JID: \(error)"
        case .notAnAccountJID(let text):
            return "'\(text)' is not an account address (user@host, without a resource)"
        case .unknownHost(let host, let hosts):
            let list = hosts.isEmpty ? "none" : hosts.joined(separator: ", ")
            return "'\(host)' is not a host of the configuration (internal_hashed hosts: \(list))"
        case .notInternalHashed(let host, let authentication):
            return "'\(host)' has authentication \(authentication.rawValue); accounts live on internal_hashed hosts"
        case .alreadyExists(let jid):
            return "\(jid) already exists (use `parley user passwd` to change its password)"
        case .noSuchAccount(let jid):
            return "\(jid) does not exist"
        case .store(let error):
            return error.description
        }
    }
}
