import Foundation
import Testing

@testable import ParleyCore

/// `TokenVerifier` against tokens PyJWT made (`TokenFixtures`, from `Scripts/lib/make_test_tokens.py`), with the
/// clock pinned: every refusal Jitsi's `token/util.lib.lua` and `luajwtjitsi.lib.lua` make, and the cheap refusal
/// of garbage.
@Suite struct TokenVerifierTests {
    typealias F = TokenFixtures

    static func hs(
        _ algorithm: JWTAlgorithm = .hs256,
        _ change: (inout TokenVerifier.Configuration) -> Void = { _ in }
    )
        -> TokenVerifier
    {
        var configuration = TokenVerifier.Configuration(appID: "my_app", algorithm: algorithm)
        change(&configuration)
        return TokenVerifier(configuration: configuration, key: .secret(Array(F.secret.utf8)))
    }

    static func rs(_ change: (inout TokenVerifier.Configuration) -> Void = { _ in }) throws -> TokenVerifier {
        var configuration = TokenVerifier.Configuration(appID: "my_app", algorithm: .rs256)
        change(&configuration)
        let key = try #require(RSAPublicKey(pem: F.publicKeyPEM))
        return TokenVerifier(configuration: configuration, key: .publicKey(key))
    }

    func error(_ result: Result<TokenClaims, TokenError>) -> TokenError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    @Test func validHS256GivesTheClaims() throws {
        let claims = try Self.hs().verify(F.hs256, now: F.now).get()
        #expect(claims.room == "*")
        #expect(claims.subject == "meet.jitsi")
        #expect(claims.issuer == "my_app")
        #expect(claims.user?["name"] == .string("Alice"))
        #expect(claims.user?["id"] == .string("u1"))
        #expect(claims.isModerator)
        #expect(claims.group == .string("g1"))
    }

    @Test func validHS512AndRS256() throws {
        #expect(throws: Never.self) { try Self.hs(.hs512).verify(F.hs512, now: F.now).get() }
        #expect(throws: Never.self) { try Self.rs().verify(F.rs256, now: F.now).get() }
        #expect(try TokenVerifier.keyID(of: F.rs256).get() == "parley/test-key")
        #expect(TokenVerifier.keyID(of: F.hs256) == .failure(.missingKeyID))
    }

    @Test func timeBounds() {
        let verifier = Self.hs()
        #expect(self.error(verifier.verify(F.expired, now: F.now)) == .expired)
        #expect(self.error(verifier.verify(F.notYetValid, now: F.now)) == .notYetValid)
        // exp is now + 3600: accepted up to the skew (30 s) past it, refused after.
        #expect(self.error(verifier.verify(F.hs256, now: F.now + 3629)) == nil)
        #expect(self.error(verifier.verify(F.hs256, now: F.now + 3630)) == .expired)
        // nbf is now - 100: 30 s of skew lets it in from now - 130.
        #expect(self.error(verifier.verify(F.hs256, now: F.now - 130)) == nil)
        #expect(self.error(verifier.verify(F.hs256, now: F.now - 131)) == .notYetValid)
        let strict = Self.hs { $0.clockSkew = 0 }
        #expect(self.error(strict.verify(F.hs256, now: F.now + 3600)) == .expired)
        #expect(self.error(verifier.verify(F.expNotNumber, now: F.now)) == .claimNotANumber("exp"))
    }

    @Test func signatures() throws {
        #expect(self.error(Self.hs().verify(F.wrongSecret, now: F.now)) == .invalidSignature)
        #expect(self.error(try Self.rs().verify(F.rs256OtherKey, now: F.now)) == .invalidSignature)
        // A flipped signature byte, and a truncated signature.
        var bytes = Array(F.hs256.utf8)
        bytes[bytes.count - 2] = bytes[bytes.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(self.error(Self.hs().verify(String(decoding: bytes, as: UTF8.self), now: F.now)) == .invalidSignature)
        #expect(self.error(Self.hs().verify(String(F.hs256.dropLast(4)), now: F.now)) == .invalidSignature)
    }

    @Test func algorithmsOtherThanTheConfiguredOneAreRefused() throws {
        // alg none, unsigned: refused on its header, before any key is looked at.
        #expect(F.algNone.hasSuffix("."))
        #expect(self.error(Self.hs().verify(F.algNone, now: F.now)) == .wrongAlgorithm)
        #expect(self.error(try Self.rs().verify(F.algNone, now: F.now)) == .wrongAlgorithm)
        // HS256 keyed with the RSA public key where RS256 is configured: the confusion attack.
        #expect(self.error(try Self.rs().verify(F.hsWithPublicKey, now: F.now)) == .wrongAlgorithm)
        // RS256 where HS256 is configured, and HS512 where HS256 is.
        #expect(self.error(Self.hs().verify(F.rs256, now: F.now)) == .wrongAlgorithm)
        #expect(self.error(Self.hs().verify(F.hs512, now: F.now)) == .wrongAlgorithm)
        // A key of the wrong kind for the algorithm is never used.
        let mismatched = TokenVerifier(
            configuration: .init(appID: "my_app", algorithm: .rs256),
            key: .secret(Array(F.secret.utf8))
        )
        #expect(self.error(mismatched.verify(F.rs256, now: F.now)) == .notConfigured)
        #expect(
            self.error(TokenVerifier(configuration: .init(appID: "my_app"), key: nil).verify(F.hs256, now: F.now))
                == .notConfigured
        )
    }

    @Test func header() {
        #expect(self.error(Self.hs().verify(F.wrongType, now: F.now)) == .invalidType)
        #expect(self.error(Self.hs().verify(F.noType, now: F.now)) == nil)
    }

    @Test func claims() {
        let verifier = Self.hs()
        #expect(self.error(verifier.verify(F.wrongAudience, now: F.now)) == nil)  // accepted audiences: *
        let audience = Self.hs { $0.acceptedAudiences = ["jitsi"] }
        #expect(self.error(audience.verify(F.wrongAudience, now: F.now)) == .invalidAudience)
        #expect(self.error(audience.verify(F.audienceList, now: F.now)) == nil)
        #expect(self.error(verifier.verify(F.wrongIssuer, now: F.now)) == .invalidIssuer)
        #expect(self.error(verifier.verify(F.noIssuer, now: F.now)) == .missingClaim("iss"))
        let issuers = Self.hs { $0.acceptedIssuers = ["my_app", "intruder"] }
        #expect(self.error(issuers.verify(F.wrongIssuer, now: F.now)) == nil)
        #expect(self.error(Self.hs { $0.acceptedIssuers = ["*"] }.verify(F.wrongIssuer, now: F.now)) == nil)
        #expect(self.error(verifier.verify(F.noRoom, now: F.now)) == .missingClaim("room"))
        #expect(self.error(Self.hs { $0.requireRoomClaim = false }.verify(F.noRoom, now: F.now)) == nil)
        // sub: not checked by default (Jitsi's enable_domain_verification = false); checked when subjects are set.
        #expect(self.error(verifier.verify(F.wrongSubject, now: F.now)) == nil)
        let subjects = Self.hs { $0.acceptedSubjects = ["Meet.Jitsi"] }
        #expect(self.error(subjects.verify(F.hs256, now: F.now)) == nil)
        #expect(self.error(subjects.verify(F.wrongSubject, now: F.now)) == .invalidSubject)
    }

    @Test func emptyTokens() {
        #expect(Self.hs().authenticate(nil, now: F.now) == .failure(.tokenRequired))
        #expect(Self.hs().authenticate("", now: F.now) == .failure(.tokenRequired))
        #expect(Self.hs { $0.allowEmptyToken = true }.authenticate(nil, now: F.now) == .success(nil))
        // Allowing empty tokens does not let a bad one in.
        #expect(Self.hs { $0.allowEmptyToken = true }.authenticate(F.expired, now: F.now) == .failure(.expired))
    }

    @Test(arguments: [
        ("", TokenError.malformed), ("abc", .malformed), ("a.b", .malformed), ("a.b.c.d", .malformed),
        (".eyJ9.c", .malformed), ("eyJhbGciOiJIUzI1NiJ9..c", .malformed),
        // Padded, standard-alphabet and non-canonical base64 in the header.
        ("eyJhbGciOiJIUzI1NiJ9=.eyJ9.c", .invalidHeader), ("eyJhbGciOiJIUzI1NiJ9+.eyJ9.c", .invalidHeader),
        ("eyJhbGciOiJIUzI1NiJ8.eyJ9.c", .invalidHeader), ("e.eyJ9.c", .invalidHeader),
        // Base64url of text that is not a JSON object: "not json", "[1]", "\"alg\"".
        ("bm90IGpzb24.eyJ9.c", .invalidHeader), ("WzFd.eyJ9.c", .invalidHeader), ("ImFsZyI.eyJ9.c", .invalidHeader),
    ])
    func malformed(_ token: String, _ expected: TokenError) {
        #expect(self.error(Self.hs().verify(token, now: F.now)) == expected)
    }

    @Test func bodyThatIsNotJSONAfterAValidSignature() {
        // A correctly signed token whose claims are not JSON: refused as an invalid body.
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let body = Base64URL.encode(Array("{not json".utf8))
        let input = Array("\(header).\(body)".utf8)
        let signature = JWTAlgorithm.hs256.hmac(secret: Array(F.secret.utf8), input[...])
        let token = "\(header).\(body).\(Base64URL.encode(signature))"
        #expect(self.error(Self.hs().verify(token, now: F.now)) == .invalidBody)
    }

    @Test func garbageIsRefusedBeforeAnyWork() {
        let garbage = String(repeating: "A", count: 100_000)
        let clock = ContinuousClock()
        var result: Result<TokenClaims, TokenError>?
        let elapsed = clock.measure { result = Self.hs().verify(garbage, now: F.now) }
        #expect(result.flatMap(self.error) == .tooLarge)
        #expect(elapsed < .milliseconds(200))
        let dotted = String(repeating: "eyJ9.", count: 4000)
        #expect(self.error(Self.hs().verify(dotted, now: F.now)) == .tooLarge)
        #expect(Self.hs().authenticate(garbage, now: F.now) == .failure(.tooLarge))
    }

    @Test func base64URL() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded) == bytes)
        }
        #expect(Base64URL.decode("_-8") == [0xFF, 0xEF])
        #expect(Base64URL.decode("_-9") == nil)  // non-zero unused bits
        #expect(Base64URL.decode("A") == nil)
        #expect(Base64URL.decode("AA==") == nil)
        #expect(Base64URL.decode("A A") == nil)
    }

    @Test func randomInputNeverTrapsAndBase64URLIsCanonical() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/{}\"\u{0}é".utf8)
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        for round in 0..<3000 {
            let length = Int.random(in: 0...200, using: &generator)
            var bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
            if round % 3 == 0 { bytes = Array("\(header).".utf8) + bytes }
            let text = String(decoding: bytes, as: UTF8.self)
            _ = Self.hs().verify(text, now: F.now)
            _ = Self.hs().keyID(forFetching: text)
            if let decoded = Base64URL.decode(bytes) {
                #expect(Base64URL.encode(decoded) == String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    @Test func publicKeys() {
        #expect(RSAPublicKey(pem: F.publicKeyPEM) != nil)
        #expect(RSAPublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") == nil)
        #expect(RSAPublicKey(pem: "") == nil)
        #expect(TokenVerifier.Key.secret([1, 2, 3]).description == "shared secret")
    }
}
