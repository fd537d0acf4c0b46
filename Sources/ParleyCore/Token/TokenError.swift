/// Why a token was refused. `text` goes into the SASL `<failure/>`'s `<text/>`, worded as Jitsi's
/// `token/util.lib.lua` and `luajwtjitsi.lib.lua` word it where they have a message, so the client shows what an
/// operator would find in Prosody's log. It never contains the token or the key.
public enum TokenError: Error, Sendable, Hashable {
    /// No `?token=` on a host that does not allow empty tokens.
    case tokenRequired
    /// Larger than `TokenVerifier.maximumTokenBytes`: refused before any decoding.
    case tooLarge
    /// Not three base64url segments separated by dots.
    case malformed
    /// The header is not base64url of a JSON object.
    case invalidHeader
    /// The claims are not base64url of a JSON object.
    case invalidBody
    /// The header's `typ` is present and not `JWT`.
    case invalidType
    /// The header's `alg` is missing, `none`, or another algorithm than the configured one.
    case wrongAlgorithm
    /// The header has no `kid`, which a key server needs.
    case missingKeyID
    /// The key server gave no key for the `kid`.
    case noPublicKey
    /// The signature does not verify.
    case invalidSignature
    /// `exp` or `nbf` is there but not a number.
    case claimNotANumber(String)
    /// Expired (`exp`, RFC 7519 §4.1.4).
    case expired
    /// Not valid yet (`nbf`, RFC 7519 §4.1.5).
    case notYetValid
    /// A required claim (`iss`, `aud`, `room`, `sub`) is missing or not a string.
    case missingClaim(String)
    /// `iss` is not an accepted issuer.
    case invalidIssuer
    /// `aud` is not an accepted audience.
    case invalidAudience
    /// `sub` is not this host's domain (or `*`).
    case invalidSubject
    /// The host has no key to check tokens with (its secret was not set).
    case notConfigured

    public var text: String {
        switch self {
        case .tokenRequired: "token required"
        case .tooLarge: "Token too large"
        case .malformed: "Invalid token"
        case .invalidHeader: "Invalid header"
        case .invalidBody: "Invalid body"
        case .invalidType: "Invalid typ"
        case .wrongAlgorithm: "Invalid or incorrect alg"
        case .missingKeyID: "'kid' claim is missing"
        case .noPublicKey: "could not obtain public key"
        case .invalidSignature: "Invalid signature"
        case .claimNotANumber(let claim): "\(claim) must be number"
        case .expired: "Not acceptable by exp"
        case .notYetValid: "Not acceptable by nbf"
        case .missingClaim(let claim): "'\(claim)' claim is missing"
        case .invalidIssuer: "Invalid issuer ('iss' claim)"
        case .invalidAudience: "Invalid audience ('aud' claim)"
        case .invalidSubject: "Invalid subject ('sub' claim)"
        case .notConfigured: "token authentication is not configured"
        }
    }
}
