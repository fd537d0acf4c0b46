import ParleyCore
import Yams

// `hosts` and `accounts`, and the rules between them.
extension ConfigurationParser {
    typealias Host = ServerConfiguration.Host
    typealias Account = ServerConfiguration.Account

    /// The hosts in the file; nil (keep the preset's) when `hosts` is not a list.
    func parseHosts(_ node: Node, keyPath: String) -> [Host]? {
        guard let items = self.list(node, keyPath) else { return nil }
        if items.isEmpty {
            self.error("at least one host is needed", at: node, keyPath: keyPath)
        }
        var hosts: [Host] = []
        var firstIndex: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemPath = "\(keyPath)[\(index)]"
            guard let fields = self.fields(of: item, keyPath: itemPath, allowed: Self.keys(of: "hosts[]")) else {
                continue
            }
            guard let domainNode = fields["domain"] else {
                self.error("a host needs a domain", at: item, keyPath: itemPath)
                continue
            }
            // A bad or duplicate domain is reported, and the rest of the entry is still checked.
            let domain = self.domain(domainNode, fields.path("domain"))
            var isNew = domain != nil
            if let domain {
                if let first = firstIndex[domain] {
                    self.error(
                        "duplicate host '\(domain)' (already \(keyPath)[\(first)])",
                        at: domainNode,
                        keyPath: fields.path("domain")
                    )
                    isNew = false
                } else {
                    firstIndex[domain] = index
                }
            }

            var authentication = ServerConfiguration.Authentication.internalHashed
            var authenticationKnown = true
            if let authenticationNode = fields["authentication"] {
                let value: ServerConfiguration.Authentication? = self.choice(
                    authenticationNode,
                    fields.path("authentication"),
                    what: "authentication"
                )
                authentication = value ?? authentication
                authenticationKnown = value != nil
            }
            var host = Host(domain: domain ?? "", authentication: authentication)
            if let encryptionNode = fields["require_encryption"],
                let value = self.bool(encryptionNode, fields.path("require_encryption"))
            {
                host.requireEncryption = value
            }
            if let mechanismsNode = fields["sasl_mechanisms"],
                let mechanisms = self.saslMechanisms(
                    mechanismsNode,
                    keyPath: fields.path("sasl_mechanisms"),
                    authentication: authenticationKnown ? authentication : nil
                )
            {
                host.saslMechanisms = mechanisms
            }
            switch (fields["token"], authenticationKnown ? authentication : nil) {
            case (.some(let tokenNode), .token):
                host.token = self.parseToken(tokenNode, keyPath: fields.path("token"))
            case (.some(let tokenNode), .some(let other)):
                self.error(
                    "only a host with authentication token has a token section (this one is \(other.rawValue))",
                    at: tokenNode,
                    keyPath: fields.path("token")
                )
            case (nil, .token):
                self.error(
                    "a host with authentication token needs a token section (app_id and its key)",
                    at: item,
                    keyPath: itemPath
                )
            case (_, _):
                break
            }
            if isNew {
                hosts.append(host)
            }
        }
        return hosts
    }

    /// A host's `sasl_mechanisms`, checked against its authentication when that is known.
    private func saslMechanisms(
        _ node: Node,
        keyPath: String,
        authentication: ServerConfiguration.Authentication?
    ) -> [SASLMechanismName]? {
        guard let items = self.list(node, keyPath) else { return nil }
        if items.isEmpty {
            self.error("at least one SASL mechanism is needed", at: node, keyPath: keyPath)
            return nil
        }
        var mechanisms: [SASLMechanismName] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(keyPath)[\(index)]"
            guard let mechanism: SASLMechanismName = self.choice(item, itemPath, what: "SASL mechanism") else {
                continue
            }
            if let authentication, !authentication.supports(mechanism) {
                let reason =
                    switch authentication {
                    case .anonymous: "an anonymous host has no accounts to check; it offers only ANONYMOUS"
                    case .token: "a token host checks the web session's token with ANONYMOUS; it has no accounts"
                    case .internalHashed: "ANONYMOUS would let anyone in on an internal_hashed host"
                    }
                self.error(
                    "\(mechanism.rawValue) cannot be offered on a host with authentication "
                        + "\(authentication.rawValue): \(reason)",
                    at: item,
                    keyPath: itemPath
                )
                continue
            }
            if mechanisms.contains(mechanism) {
                self.warning("\(mechanism.rawValue) is listed twice", at: item, keyPath: itemPath)
                continue
            }
            mechanisms.append(mechanism)
        }
        return mechanisms
    }

    /// The accounts in the file, each on an `internal_hashed` host of `hosts`.
    func parseAccounts(_ node: Node, keyPath: String, hosts: [Host]) -> [Account] {
        guard let items = self.list(node, keyPath) else { return ServerConfiguration.jitsiAccounts }
        var accounts: [Account] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(keyPath)[\(index)]"
            guard let fields = self.fields(of: item, keyPath: itemPath, allowed: Self.keys(of: "accounts[]")) else {
                continue
            }
            guard let jidNode = fields["jid"] else {
                self.error("an account needs a jid", at: item, keyPath: itemPath)
                continue
            }
            guard let jid = self.bareJID(jidNode, fields.path("jid")) else { continue }
            if accounts.contains(where: { $0.jid == jid }) {
                self.error("\(jid) is declared twice", at: jidNode, keyPath: fields.path("jid"))
                continue
            }
            if let problem = Self.hostProblem(for: jid, in: hosts) {
                self.error(problem, at: jidNode, keyPath: fields.path("jid"))
            }

            var account = Account(jid: jid)
            self.assign(fields, "password", to: &account.password, self.string)
            self.assign(fields, "password_env", to: &account.passwordEnvironment, self.string)
            switch (fields["password"], fields["password_env"]) {
            case (nil, nil):
                self.error("an account needs password_env (or password)", at: item, keyPath: itemPath)
            case (.some(let passwordNode), .some):
                self.error("set password or password_env, not both", at: passwordNode, keyPath: fields.path("password"))
            case (.some(let passwordNode), nil):
                self.warning(
                    "a password written in the file is discouraged; prefer password_env",
                    at: passwordNode,
                    keyPath: fields.path("password")
                )
            case (nil, .some(let environmentNode)):
                if let name = account.passwordEnvironment, self.environment[name, default: ""].isEmpty {
                    self.warning(
                        "the environment variable \(name) is not set; \(jid) keeps the password it has in the "
                            + "account store (if any)",
                        at: environmentNode,
                        keyPath: fields.path("password_env")
                    )
                }
            }
            accounts.append(account)
        }
        return accounts
    }

    /// When the file sets `hosts` but not `accounts`, the preset's accounts must still fit the hosts; and their
    /// password variables should be set.
    func checkDefaultAccounts(_ accounts: [Account], hosts: [Host], hostsNode: Node?) {
        let misfits = accounts.filter { Self.hostProblem(for: $0.jid, in: hosts) != nil }
        if !misfits.isEmpty {
            let names = misfits.map(\.jid.description).joined(separator: ", ")
            var domains: [String] = []
            for account in misfits where !domains.contains(account.jid.domainpart) {
                domains.append(account.jid.domainpart)
            }
            self.error(
                "the default accounts (\(names)) need the internal_hashed host \(domains.joined(separator: ", ")); "
                    + "add it, or declare `accounts` (an empty list is allowed)",
                at: hostsNode,
                keyPath: "hosts"
            )
        }
        for account in accounts where !misfits.contains(account) {
            if let name = account.passwordEnvironment, self.environment[name, default: ""].isEmpty {
                self.warning(
                    "the environment variable \(name) is not set; the default account \(account.jid) keeps the "
                        + "password it has in the account store (if any)",
                    at: nil,
                    keyPath: "accounts"
                )
            }
        }
    }

    /// Why an account with `jid` cannot live on `hosts`, or nil when it can.
    static func hostProblem(for jid: JID, in hosts: [Host]) -> String? {
        guard let host = hosts.first(where: { $0.domain == jid.domainpart }) else {
            return "'\(jid.domainpart)' is not a host of this configuration"
        }
        guard host.authentication == .internalHashed else {
            return "accounts live on internal_hashed hosts, and '\(host.domain)' is \(host.authentication.rawValue)"
        }
        return nil
    }
}
