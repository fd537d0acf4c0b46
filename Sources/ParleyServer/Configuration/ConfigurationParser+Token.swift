import ParleyCore
import Yams

/// A host's `token` section (JWT login, Jitsi's `mod_auth_token` options).
extension ConfigurationParser {
    static let tokenKeys = [
        "app_id", "app_secret", "app_secret_env", "public_key", "asap_key_server", "algorithm", "accepted_issuers",
        "accepted_audiences", "allow_empty", "require_room_claim", "verify_subject", "clock_skew",
    ]
    /// The most clock skew accepted: five minutes.
    static let maximumClockSkew = 300

    /// The `token` section at `node`; nil (with an error) when it cannot be used.
    func parseToken(_ node: Node, keyPath: String) -> ServerConfiguration.TokenAuthentication? {
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.tokenKeys) else { return nil }
        guard let appIDNode = fields["app_id"] else {
            self.error("a token section needs app_id (Jitsi's app_id, docker's JWT_APP_ID)", at: node, keyPath: keyPath)
            return nil
        }
        guard let appID = self.string(appIDNode, fields.path("app_id")) else { return nil }
        var token = ServerConfiguration.TokenAuthentication(appID: appID)
        var usable = true
        if let algorithmNode = fields["algorithm"] {
            let algorithm: JWTAlgorithm? = self.choice(algorithmNode, fields.path("algorithm"), what: "algorithm")
            if let algorithm { token.algorithm = algorithm } else { usable = false }
        }
        self.assign(fields, "app_secret", to: &token.appSecret) { self.string($0, $1).map { .some($0) } }
        self.assign(fields, "app_secret_env", to: &token.appSecretEnvironment) { self.string($0, $1).map { .some($0) } }
        self.assign(fields, "public_key", to: &token.publicKey) { self.string($0, $1).map { .some($0) } }
        self.assign(fields, "accepted_issuers", to: &token.acceptedIssuers) {
            self.stringList($0, $1).map { .some($0) }
        }
        self.assign(fields, "accepted_audiences", to: &token.acceptedAudiences, self.stringList)
        self.assign(fields, "allow_empty", to: &token.allowEmpty, self.bool)
        self.assign(fields, "require_room_claim", to: &token.requireRoomClaim, self.bool)
        self.assign(fields, "verify_subject", to: &token.verifySubject, self.bool)
        self.assign(fields, "clock_skew", to: &token.clockSkew) { self.integer($0, $1, in: 0...Self.maximumClockSkew) }

        let algorithm = token.algorithm.rawValue
        if let keyServerNode = fields["asap_key_server"],
            let url = self.string(keyServerNode, fields.path("asap_key_server"))
        {
            if KeyServer(url) == nil {
                self.error(
                    "'\(url)' is not an http or https URL",
                    at: keyServerNode,
                    keyPath: fields.path("asap_key_server")
                )
                usable = false
            } else if token.algorithm.usesSharedSecret {
                self.error(
                    "a key server gives RSA keys; set algorithm to RS256, RS384 or RS512",
                    at: keyServerNode,
                    keyPath: fields.path("asap_key_server")
                )
                usable = false
            } else if fields["public_key"] != nil {
                self.error(
                    "set public_key or asap_key_server, not both",
                    at: keyServerNode,
                    keyPath: fields.path("asap_key_server")
                )
                usable = false
            } else {
                token.asapKeyServer = url
            }
        }
        if token.algorithm.usesSharedSecret {
            if let publicKeyNode = fields["public_key"] {
                self.error(
                    "public_key checks RS256/RS384/RS512 tokens; \(algorithm) needs app_secret_env (or app_secret)",
                    at: publicKeyNode,
                    keyPath: fields.path("public_key")
                )
                usable = false
            }
            switch (fields["app_secret"], fields["app_secret_env"]) {
            case (nil, nil):
                self.error(
                    "\(algorithm) needs the shared secret: app_secret_env (or app_secret)",
                    at: node,
                    keyPath: keyPath
                )
                usable = false
            case (.some(let secretNode), .some):
                self.error(
                    "set app_secret or app_secret_env, not both",
                    at: secretNode,
                    keyPath: fields.path("app_secret")
                )
                usable = false
            case (.some(let secretNode), nil):
                self.warning(
                    "a secret written in the file is discouraged; prefer app_secret_env",
                    at: secretNode,
                    keyPath: fields.path("app_secret")
                )
            case (nil, .some(let environmentNode)):
                if let name = token.appSecretEnvironment, self.environment[name, default: ""].isEmpty {
                    self.warning(
                        "the environment variable \(name) is not set; parley serve will refuse to start without it",
                        at: environmentNode,
                        keyPath: fields.path("app_secret_env")
                    )
                }
            }
        } else {
            for key in ["app_secret", "app_secret_env"] {
                if let secretNode = fields[key] {
                    self.error(
                        "a shared secret cannot check \(algorithm) tokens; give public_key",
                        at: secretNode,
                        keyPath: fields.path(key)
                    )
                    usable = false
                }
            }
            if fields["public_key"] == nil && fields["asap_key_server"] == nil {
                self.error("\(algorithm) needs public_key (a PEM file)", at: node, keyPath: keyPath)
                usable = false
            }
        }
        if token.allowEmpty, let emptyNode = fields["allow_empty"] {
            self.warning(
                "sessions without a token are let in (Jitsi's allow_empty_token)",
                at: emptyNode,
                keyPath: fields.path("allow_empty")
            )
        }
        return usable ? token : nil
    }

    /// A non-empty list of non-empty strings.
    func stringList(_ node: Node, _ keyPath: String) -> [String]? {
        guard let items = self.list(node, keyPath) else { return nil }
        guard !items.isEmpty else {
            self.error("the list must not be empty (use '*' to accept any)", at: node, keyPath: keyPath)
            return nil
        }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = self.string(item, "\(keyPath)[\(index)]") else { return nil }
            strings.append(text)
        }
        return strings
    }
}
