import ParleyCore
import Yams

/// The `external_services` section (XEP-0215: STUN and TURN servers and their credentials).
extension ConfigurationParser {
    static let externalServicesKeys = ["services", "secret", "secret_env", "ttl", "access"]
    static let externalServiceKeys = ["type", "host", "port", "transport", "secret", "username", "password", "ttl"]
    /// The longest credential lifetime accepted: a year.
    static let maximumExternalServiceTTL = 31_536_000

    func parseExternalServices(_ node: Node, keyPath: String) -> ServerConfiguration.ExternalServices {
        var section = ServerConfiguration.ExternalServices()
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.externalServicesKeys) else {
            return section
        }
        self.assign(fields, "secret", to: &section.secret) { self.string($0, $1).map { .some($0) } }
        self.assign(fields, "secret_env", to: &section.secretEnvironment) { self.string($0, $1).map { .some($0) } }
        self.assign(fields, "ttl", to: &section.ttl) { self.integer($0, $1, in: 1...Self.maximumExternalServiceTTL) }
        self.assign(fields, "access", to: &section.access, self.accountOrDomainList)
        if let secretNode = fields["secret"], fields["secret_env"] != nil {
            self.error("set secret or secret_env, not both", at: secretNode, keyPath: fields.path("secret"))
        } else if let secretNode = fields["secret"], section.secret != nil {
            self.warning(
                "a secret written in the file is discouraged; prefer secret_env",
                at: secretNode,
                keyPath: fields.path("secret")
            )
        } else if let name = section.secretEnvironment, self.environment[name, default: ""].isEmpty {
            self.warning(
                "\(name) is not set: the services with 'secret: true' will not be offered",
                at: fields["secret_env"],
                keyPath: fields.path("secret_env")
            )
        }
        let hasSecret = section.secret != nil || section.secretEnvironment != nil
        if let servicesNode = fields["services"], let items = self.list(servicesNode, fields.path("services")) {
            section.services = items.enumerated().compactMap { index, item in
                self.parseExternalService(item, keyPath: "\(fields.path("services"))[\(index)]", hasSecret: hasSecret)
            }
        }
        return section
    }

    /// One entry of `external_services.services`; nil after an error.
    private func parseExternalService(_ node: Node, keyPath: String, hasSecret: Bool) -> ExternalService? {
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.externalServiceKeys) else {
            return nil
        }
        var valid = true
        func required<T>(_ key: String, _ read: (Node, String) -> T?) -> T? {
            guard let value = fields[key] else {
                self.error("an external service needs a \(key)", at: node, keyPath: keyPath)
                valid = false
                return nil
            }
            guard let result = read(value, fields.path(key)) else {
                valid = false
                return nil
            }
            return result
        }
        func optional<T>(_ key: String, _ read: (Node, String) -> T?) -> T? {
            guard let value = fields[key] else { return nil }
            guard let result = read(value, fields.path(key)) else {
                valid = false
                return nil
            }
            return result
        }
        let kind: ExternalService.Kind? = required("type") { self.choice($0, $1, what: "service type") }
        let host = required("host", self.address)
        let port = optional("port") { self.integer($0, $1, in: 1...65535) }
        let transport: ExternalService.Transport? = optional("transport") { self.choice($0, $1, what: "transport") }
        let timeLimited = optional("secret", self.bool) ?? false
        let username = optional("username", self.string)
        let password = optional("password", self.string)
        let ttl = optional("ttl") { self.integer($0, $1, in: 1...Self.maximumExternalServiceTTL) }
        guard valid, let kind, let host else { return nil }

        let credentials: ExternalService.Credentials
        if timeLimited {
            if let passwordNode = fields["password"] {
                self.error(
                    "set secret: true or a password, not both",
                    at: passwordNode,
                    keyPath: fields.path("password")
                )
                return nil
            }
            guard kind.isRelay else {
                self.error(
                    "\(kind.rawValue) services take no credentials; only turn and turns",
                    at: fields["secret"],
                    keyPath: fields.path("secret")
                )
                return nil
            }
            guard hasSecret else {
                self.error(
                    "time-limited credentials need external_services.secret_env (or secret)",
                    at: fields["secret"],
                    keyPath: fields.path("secret")
                )
                return nil
            }
            credentials = .timeLimited(user: username)
        } else if let username, let password {
            credentials = .fixed(username: username, password: password)
        } else if username != nil || password != nil {
            let key = username == nil ? "password" : "username"
            self.error("a username needs its password (or secret: true)", at: fields[key], keyPath: fields.path(key))
            return nil
        } else {
            credentials = .none
            if kind.isRelay {
                self.warning(
                    "clients get no credentials for this TURN server: set secret: true, or a username and password",
                    at: node,
                    keyPath: keyPath
                )
            }
        }
        if let ttlNode = fields["ttl"], !timeLimited {
            self.warning(
                "ttl applies only to time-limited credentials (secret: true)",
                at: ttlNode,
                keyPath: fields.path("ttl")
            )
        }
        return ExternalService(
            kind: kind,
            host: host,
            port: port,
            transport: transport,
            credentials: credentials,
            ttl: ttl
        )
    }
}
