import Foundation

/// Checks a Jitsi JSON Web Token (RFC 7519) the way Prosody's `token` authentication does (Jitsi's
/// `mod_auth_token.lua` → `token/util.lib.lua` → `luajwtjitsi.lib.lua`): the token, the key and the time in;
/// the claims or the precise reason out. Pure: no I/O, no clock of its own, so tests pin the time.
///
/// In order, cheapest first:
/// 1. at most `maximumTokenBytes`, before anything is decoded;
/// 2. three dot-separated segments, the header and claims strict base64url (RFC 7515 §2) of JSON objects;
/// 3. header: `typ`, when present, is `JWT`; `alg` is exactly the configured algorithm (so `none`, and an HS
///    token where RS is configured or the reverse, are refused before any key is used);
/// 4. the signature (HMAC compared in constant time, or RSA with `EVP_DigestVerify`);
/// 5. `exp` and `nbf` are numbers when present and hold now, within `clockSkew`;
/// 6. `iss` is an accepted issuer, `room` is present (unless not required), `aud` is an accepted audience, and
///    `sub` is an accepted subject when subjects are checked. `*` in an accepted list accepts anything.
///
/// ```
/// eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJteV9hcHAiLCJhdWQiOiJqaXRzaSIsInJvb20iOiIqIn0.<HMAC-SHA256>
/// {"alg":"HS256","typ":"JWT"}          {"iss":"my_app","aud":"jitsi","room":"*"}
/// ```
public struct TokenVerifier: Sendable, Hashable {
    /// What a host accepts: Prosody's `app_id`, `asap_accepted_issuers`, `asap_accepted_audiences`,
    /// `allow_empty_token`, `asap_require_room_claim`, `signature_algorithm`.
    public struct Configuration: Sendable, Hashable {
        /// `app_id` (docker's `JWT_APP_ID`): the default accepted issuer.
        public var appID: String
        /// The one algorithm accepted (docker's `JWT_SIGN_TYPE`; HS256 by default).
        public var algorithm: JWTAlgorithm
        /// `iss` values accepted; `*` accepts any. Jitsi's default: the app id.
        public var acceptedIssuers: [String]
        /// `aud` values accepted; `*` accepts any (Jitsi's default).
        public var acceptedAudiences: [String]
        /// Sessions without a token log in too (`allow_empty_token`, docker's `JWT_ALLOW_EMPTY`).
        public var allowEmptyToken: Bool
        /// A token without `room` is refused (`asap_require_room_claim`, on by default).
        public var requireRoomClaim: Bool
        /// `sub` values accepted (compared in lower case; a token's `*` is accepted); nil does not check `sub`,
        /// which is Jitsi's default (`enable_domain_verification = false`).
        public var acceptedSubjects: [String]?
        /// With `acceptedSubjects`: a tenant's name (one DNS label, `acme`) is accepted too, since tenants exist
        /// (`mod_muc_domain_mapper`); the tenant is checked against the room at join (`TokenRoomClaimPolicy`).
        public var acceptsTenantSubjects = false
        /// Seconds of clock difference tolerated on `exp` and `nbf`.
        public var clockSkew: Double

        public init(
            appID: String,
            algorithm: JWTAlgorithm = .hs256,
            acceptedIssuers: [String]? = nil,
            acceptedAudiences: [String] = ["*"],
            allowEmptyToken: Bool = false,
            requireRoomClaim: Bool = true,
            acceptedSubjects: [String]? = nil,
            clockSkew: Double = 30
        ) {
            self.appID = appID
            self.algorithm = algorithm
            self.acceptedIssuers = acceptedIssuers ?? [appID]
            self.acceptedAudiences = acceptedAudiences
            self.allowEmptyToken = allowEmptyToken
            self.requireRoomClaim = requireRoomClaim
            self.acceptedSubjects = acceptedSubjects
            self.clockSkew = clockSkew
        }
    }

    /// What checks the signature.
    public enum Key: Sendable, Hashable, CustomStringConvertible {
        /// The shared secret of HS256/384/512 (`app_secret`).
        case secret([UInt8])
        /// The public key of RS256/384/512.
        case publicKey(RSAPublicKey)

        /// Never the secret.
        public var description: String {
            switch self {
            case .secret: "shared secret"
            case .publicKey: "RSA public key"
            }
        }
    }

    /// Tokens above 16 KiB are refused before any work: a real one is well under 2 KiB, and a client should not
    /// make the server decode 100 KB of garbage.
    public static let maximumTokenBytes = 16 * 1024

    public var configuration: Configuration
    /// The key tokens are checked with; nil when it comes from a key server per token (`verify(_:now:key:)`).
    public var key: Key?

    public init(configuration: Configuration, key: Key?) {
        self.configuration = configuration
        self.key = key
    }

    /// Jitsi's `process_and_verify_token`: a session's token (nil or empty when the URL had none) → its claims,
    /// nil claims for a token-less session where those are allowed, or why it is refused.
    public func authenticate(_ token: String?, now: Double, key: Key? = nil) -> Result<TokenClaims?, TokenError> {
        guard let token, !token.isEmpty else {
            return self.configuration.allowEmptyToken ? .success(nil) : .failure(.tokenRequired)
        }
        return self.verify(token, now: now, key: key).map { .some($0) }
    }

    /// What can be said of `token` before its key is known (its size, its form, its header's `typ` and `alg`), and
    /// the `kid` that names the key on a key server: so that nothing is fetched for a token that would be refused
    /// anyway.
    public func keyID(forFetching token: String) -> Result<String, TokenError> {
        switch Self.split(token) {
        case .failure(let error): return .failure(error)
        case .success(let parts):
            if let error = self.checkHeader(parts.header) { return .failure(error) }
            guard let kid = parts.header["kid"]?.string, !kid.isEmpty else { return .failure(.missingKeyID) }
            return .success(kid)
        }
    }

    /// The claims of `token` at time `now` (seconds since 1970), checked with `key` (by default the verifier's).
    public func verify(_ token: String, now: Double, key: Key? = nil) -> Result<TokenClaims, TokenError> {
        let parts: Parts
        switch Self.split(token) {
        case .success(let split): parts = split
        case .failure(let error): return .failure(error)
        }
        if let error = self.checkHeader(parts.header) { return .failure(error) }
        guard let signature = Base64URL.decode(parts.bytes[parts.signatureRange]), !signature.isEmpty else {
            return .failure(.invalidSignature)
        }
        guard let key = key ?? self.key else { return .failure(.notConfigured) }
        let algorithm = self.configuration.algorithm
        let signed = parts.bytes[parts.signingInputRange]
        let valid: Bool
        switch key {
        case .secret(let secret):
            guard algorithm.usesSharedSecret else { return .failure(.notConfigured) }
            valid = constantTimeEquals(algorithm.hmac(secret: secret, signed), signature)
        case .publicKey(let publicKey):
            guard !algorithm.usesSharedSecret else { return .failure(.notConfigured) }
            valid = publicKey.verify(signature: signature, of: signed, algorithm: algorithm)
        }
        guard valid else { return .failure(.invalidSignature) }
        guard let claims = Self.object(parts.bytes[parts.claimsRange]) else { return .failure(.invalidBody) }
        if let error = self.checkClaims(claims, now: now) { return .failure(error) }
        return .success(TokenClaims(claims))
    }

    /// The header's `kid`, which names the public key on a key server (`<server>/<hex sha256(kid)>.pem`).
    public static func keyID(of token: String) -> Result<String, TokenError> {
        switch self.split(token) {
        case .failure(let error): return .failure(error)
        case .success(let parts):
            guard let kid = parts.header["kid"]?.string, !kid.isEmpty else { return .failure(.missingKeyID) }
            return .success(kid)
        }
    }

    // MARK: - Parts

    private struct Parts {
        var bytes: [UInt8]
        var header: [String: JSONValue]
        var signingInputRange: Range<Int>
        var claimsRange: Range<Int>
        var signatureRange: Range<Int>
    }

    /// The token cut at its two dots, with its header decoded (the claims wait until the signature holds).
    private static func split(_ token: String) -> Result<Parts, TokenError> {
        guard token.utf8.count <= self.maximumTokenBytes else { return .failure(.tooLarge) }
        let bytes = Array(token.utf8)
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2, let first = dots.first, let second = dots.last, first > 0, second > first + 1 else {
            return .failure(.malformed)
        }
        guard let header = self.object(bytes[0..<first]) else { return .failure(.invalidHeader) }
        return .success(
            Parts(
                bytes: bytes,
                header: header,
                signingInputRange: 0..<second,
                claimsRange: (first + 1)..<second,
                signatureRange: (second + 1)..<bytes.count
            )
        )
    }

    /// A base64url segment holding a JSON object, or nil.
    private static func object(_ segment: ArraySlice<UInt8>) -> [String: JSONValue]? {
        guard let json = Base64URL.decode(segment) else { return nil }
        return try? JSONDecoder().decode([String: JSONValue].self, from: Data(json))
    }

    // MARK: - Checks

    private func checkHeader(_ header: [String: JSONValue]) -> TokenError? {
        if let type = header["typ"], type != .string("JWT") { return .invalidType }
        guard header["alg"]?.string == self.configuration.algorithm.rawValue else { return .wrongAlgorithm }
        return nil
    }

    private func checkClaims(_ claims: [String: JSONValue], now: Double) -> TokenError? {
        let skew = self.configuration.clockSkew
        var expiry: Double?
        var notBefore: Double?
        if let value = claims["exp"] {
            guard let number = value.number else { return .claimNotANumber("exp") }
            expiry = number
        }
        if let value = claims["nbf"] {
            guard let number = value.number else { return .claimNotANumber("nbf") }
            notBefore = number
        }
        if let expiry, now >= expiry + skew { return .expired }
        if let notBefore, now + skew < notBefore { return .notYetValid }

        guard let issuer = claims["iss"]?.string else { return .missingClaim("iss") }
        guard Self.accepts(self.configuration.acceptedIssuers, [issuer]) else { return .invalidIssuer }
        if self.configuration.requireRoomClaim && claims["room"]?.string == nil { return .missingClaim("room") }
        // RFC 7519 §4.1.3: one string, or an array of strings of which one must be accepted.
        let audiences: [String]
        switch claims["aud"] {
        case .string(let audience): audiences = [audience]
        case .array(let items): audiences = items.compactMap(\.string)
        default: audiences = []
        }
        guard !audiences.isEmpty else { return .missingClaim("aud") }
        guard Self.accepts(self.configuration.acceptedAudiences, audiences) else { return .invalidAudience }
        if let subjects = self.configuration.acceptedSubjects {
            guard let subject = claims["sub"]?.string else { return .missingClaim("sub") }
            let lowered = subject.lowercased()
            let isTenant =
                self.configuration.acceptsTenantSubjects && !lowered.isEmpty && !lowered.contains(".")
            guard lowered == "*" || isTenant || subjects.contains(where: { $0.lowercased() == lowered || $0 == "*" })
            else {
                return .invalidSubject
            }
        }
        return nil
    }

    /// Jitsi's `verify_claim`: `*` in the accepted list, or one of `values` in it (exact match).
    private static func accepts(_ accepted: [String], _ values: [String]) -> Bool {
        accepted.contains("*") || values.contains { accepted.contains($0) }
    }
}
