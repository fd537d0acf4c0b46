import ParleyCore

extension JitsiEnvironment {
    /// docker-jitsi-meet's JWT variables, read as its Prosody template (`prosody/rootfs/defaults/conf.d/
    /// jitsi-meet.cfg.lua`) renders them for `ENABLE_AUTH=1` and `AUTH_TYPE=jwt` on the main VirtualHost
    /// (`authentication = "token"`):
    ///
    /// - `JWT_APP_ID` → `app_id`; `JWT_APP_SECRET` → `app_secret` (kept in the environment: `app_secret_env`);
    /// - `JWT_ACCEPTED_ISSUERS`, `JWT_ACCEPTED_AUDIENCES` (comma-separated) → `asap_accepted_issuers`,
    ///   `asap_accepted_audiences`;
    /// - `JWT_ALLOW_EMPTY` → `allow_empty_token`; `JWT_SIGN_TYPE` → `signature_algorithm` (HS256);
    /// - `JWT_ENABLE_DOMAIN_VERIFICATION` → `enable_domain_verification` (here: `sub` must be the domain or `*`);
    /// - `JWT_ASAP_KEYSERVER` → `asap_key_server`: RS256 keys fetched by `kid` (RS256 unless `JWT_SIGN_TYPE` says
    ///   RS384 or RS512).
    ///
    /// Nil (with a note) without `JWT_APP_ID`: the host then has no token section and `parley serve` refuses to
    /// start, as Prosody's `mod_auth_token` refuses to load without `app_id`. Notes never contain the secret.
    static func tokenAuthentication(
        value: (String) -> String?,
        flag: (String) -> Bool
    )
        -> (ServerConfiguration.TokenAuthentication?, [String])
    {
        var notes: [String] = []
        func list(_ name: String) -> [String]? {
            let items = (value(name) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            return items.isEmpty ? nil : items
        }
        guard let appID = value("JWT_APP_ID") else {
            notes.append("AUTH_TYPE=jwt needs JWT_APP_ID (and JWT_APP_SECRET); token logins cannot be checked")
            return (nil, notes)
        }
        var token = ServerConfiguration.TokenAuthentication(appID: appID, appSecretEnvironment: "JWT_APP_SECRET")
        if let text = value("JWT_SIGN_TYPE") {
            if let algorithm = JWTAlgorithm(rawValue: text.uppercased()) {
                token.algorithm = algorithm
            } else {
                notes.append(
                    "JWT_SIGN_TYPE=\(text) is not one of HS256, HS384, HS512, RS256, RS384, RS512; using HS256"
                )
            }
        }
        if let server = value("JWT_ASAP_KEYSERVER") {
            if KeyServer(server) == nil {
                notes.append("JWT_ASAP_KEYSERVER=\(server) is not an http or https URL; tokens cannot be checked")
            } else {
                if token.algorithm.usesSharedSecret {
                    if value("JWT_SIGN_TYPE") != nil {
                        notes.append(
                            "JWT_ASAP_KEYSERVER gives RSA keys; using RS256 instead of JWT_SIGN_TYPE=\(token.algorithm.rawValue)"
                        )
                    }
                    token.algorithm = .rs256
                }
                token.asapKeyServer = server
            }
        }
        if !token.algorithm.usesSharedSecret { token.appSecretEnvironment = nil }
        token.acceptedIssuers = list("JWT_ACCEPTED_ISSUERS")
        if let audiences = list("JWT_ACCEPTED_AUDIENCES") { token.acceptedAudiences = audiences }
        token.allowEmpty = flag("JWT_ALLOW_EMPTY")
        token.verifySubject = flag("JWT_ENABLE_DOMAIN_VERIFICATION")
        return (token, notes)
    }
}
