import Foundation
import ParleyCore

extension ServerConfiguration {
    /// A host's `token` section: how a host with `authentication: token` checks the JSON Web Token a web client
    /// puts on its BOSH or WebSocket URL (`?token=`), as Prosody's `token` authentication (Jitsi's
    /// `mod_auth_token.lua` and `token/util.lib.lua`) takes it from the VirtualHost's options.
    ///
    /// ```yaml
    /// hosts:
    ///   - domain: meet.jitsi
    ///     authentication: token
    ///     token:
    ///       app_id: my_app                  # app_id (JWT_APP_ID)
    ///       app_secret_env: JWT_APP_SECRET  # app_secret, read from the environment
    ///       algorithm: HS256                # signature_algorithm (JWT_SIGN_TYPE)
    ///       accepted_issuers: [my_app]      # asap_accepted_issuers (JWT_ACCEPTED_ISSUERS)
    ///       accepted_audiences: ['*']       # asap_accepted_audiences (JWT_ACCEPTED_AUDIENCES)
    ///       allow_empty: false              # allow_empty_token (JWT_ALLOW_EMPTY)
    /// ```
    ///
    /// The `description` never shows the secret.
    public struct TokenAuthentication: Sendable, Equatable, CustomStringConvertible {
        /// `app_id`: the application's id, the default accepted issuer.
        public var appID: String
        /// `app_secret`: the shared secret written in the file (discouraged outside tests).
        public var appSecret: String?
        /// `app_secret_env`: the environment variable holding the shared secret.
        public var appSecretEnvironment: String?
        /// `public_key`: a PEM file with the RSA public key, for RS256/384/512.
        public var publicKey: String?
        /// `asap_key_server`: the http(s) URL RS256/384/512 keys are fetched from by `kid`.
        public var asapKeyServer: String?
        /// `algorithm`: the one signature algorithm accepted.
        public var algorithm: JWTAlgorithm
        /// `accepted_issuers`: nil means `[app_id]`.
        public var acceptedIssuers: [String]?
        /// `accepted_audiences`.
        public var acceptedAudiences: [String]
        /// `allow_empty`: sessions without a token log in too.
        public var allowEmpty: Bool
        /// `require_room_claim`.
        public var requireRoomClaim: Bool
        /// `verify_subject`: `sub` must be the host's domain or `*` (Jitsi's `enable_domain_verification`).
        public var verifySubject: Bool
        /// `clock_skew`: seconds of clock difference tolerated on `exp` and `nbf`.
        public var clockSkew: Int

        public init(
            appID: String,
            appSecret: String? = nil,
            appSecretEnvironment: String? = nil,
            publicKey: String? = nil,
            algorithm: JWTAlgorithm = .hs256,
            acceptedIssuers: [String]? = nil,
            acceptedAudiences: [String] = ["*"],
            allowEmpty: Bool = false,
            requireRoomClaim: Bool = true,
            verifySubject: Bool = false,
            clockSkew: Int = 30
        ) {
            self.appID = appID
            self.appSecret = appSecret
            self.appSecretEnvironment = appSecretEnvironment
            self.publicKey = publicKey
            self.algorithm = algorithm
            self.acceptedIssuers = acceptedIssuers
            self.acceptedAudiences = acceptedAudiences
            self.allowEmpty = allowEmpty
            self.requireRoomClaim = requireRoomClaim
            self.verifySubject = verifySubject
            self.clockSkew = clockSkew
        }

        /// What `TokenVerifier` needs for `domain`, without the key.
        /// `tenants`: the server maps tenants (`MUCDomainMapper`), so a tenant's name is a valid `sub` too.
        public func verifierConfiguration(domain: String, tenants: Bool = false) -> TokenVerifier.Configuration {
            var configuration = TokenVerifier.Configuration(
                appID: self.appID,
                algorithm: self.algorithm,
                acceptedIssuers: self.acceptedIssuers,
                acceptedAudiences: self.acceptedAudiences,
                allowEmptyToken: self.allowEmpty,
                requireRoomClaim: self.requireRoomClaim,
                acceptedSubjects: self.verifySubject ? [domain] : nil,
                clockSkew: Double(self.clockSkew)
            )
            configuration.acceptsTenantSubjects = tenants
            return configuration
        }

        /// The key tokens are checked with: the secret (literal, or from `environment`) for HS*, the public key
        /// read from `publicKey` for RS*. A message (never containing the secret) when there is none.
        public func key(environment: [String: String]) -> Result<TokenVerifier.Key, KeyProblem> {
            if self.algorithm.usesSharedSecret {
                if let secret = self.appSecret, !secret.isEmpty { return .success(.secret(Array(secret.utf8))) }
                guard let name = self.appSecretEnvironment else {
                    return .failure(KeyProblem("no app_secret or app_secret_env for \(self.algorithm.rawValue)"))
                }
                guard let secret = environment[name], !secret.isEmpty else {
                    return .failure(KeyProblem("the environment variable \(name) (the token secret) is not set"))
                }
                return .success(.secret(Array(secret.utf8)))
            }
            guard let path = self.publicKey else {
                return .failure(KeyProblem("no public_key for \(self.algorithm.rawValue)"))
            }
            guard let data = FileManager.default.contents(atPath: path), data.count <= 64 * 1024 else {
                return .failure(KeyProblem("cannot read the public key \(path)"))
            }
            guard let key = RSAPublicKey(pem: String(decoding: data, as: UTF8.self)) else {
                return .failure(KeyProblem("\(path) holds no RSA public key in PEM (BEGIN PUBLIC KEY)"))
            }
            return .success(.publicKey(key))
        }

        /// Why a host has no key.
        public struct KeyProblem: Error, Sendable, Equatable, CustomStringConvertible {
            public var description: String
            init(_ description: String) { self.description = description }
        }

        public var description: String {
            var text = "app id \(self.appID), \(self.algorithm.rawValue)"
            if let name = self.appSecretEnvironment {
                text += ", secret from $\(name)"
            } else if self.appSecret != nil {
                text += ", literal secret"
            } else if let path = self.publicKey {
                text += ", public key \(path)"
            } else if let server = self.asapKeyServer {
                text += ", keys from \(server)"
            }
            if self.allowEmpty { text += ", empty tokens allowed" }
            return text
        }
    }
}
