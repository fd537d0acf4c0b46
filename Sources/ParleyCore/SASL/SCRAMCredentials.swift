import Foundation

/// What a server stores for one account and one SCRAM hash (RFC 5802 §3, RFC 7677): the salt, the
/// iteration count, `StoredKey = H(ClientKey)` and `ServerKey`. Never the password, nor `SaltedPassword`.
public struct SCRAMCredentials: Sendable, Hashable {
    public var algorithm: HashAlgorithm
    public var salt: [UInt8]
    public var iterations: Int
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]

    /// Prosody's and ejabberd's default for new accounts.
    public static let defaultIterations = 4096
    /// A cap so a stored (or configured) count can never make a login cost minutes.
    public static let maximumIterations = 1_000_000

    public init(algorithm: HashAlgorithm, salt: [UInt8], iterations: Int, storedKey: [UInt8], serverKey: [UInt8]) {
        self.algorithm = algorithm
        self.salt = salt
        self.iterations = iterations
        self.storedKey = storedKey
        self.serverKey = serverKey
    }

    /// Derives the stored form from a password (RFC 5802 §3):
    /// `SaltedPassword = Hi(Normalize(password), salt, i)`, `ClientKey = HMAC(SaltedPassword, "Client Key")`,
    /// `StoredKey = H(ClientKey)`, `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    public static func derive(
        password: String,
        algorithm: HashAlgorithm,
        salt: [UInt8] = SecureRandom.bytes(16),
        iterations: Int = defaultIterations
    ) -> SCRAMCredentials {
        let salted = saltedPassword(password, algorithm: algorithm, salt: salt, iterations: iterations)
        let clientKey = algorithm.hmac(key: salted, Array("Client Key".utf8))
        return SCRAMCredentials(
            algorithm: algorithm,
            salt: salt,
            iterations: iterations,
            storedKey: algorithm.hash(clientKey),
            serverKey: algorithm.hmac(key: salted, Array("Server Key".utf8))
        )
    }

    /// `Hi(Normalize(password), salt, i)`.
    public static func saltedPassword(
        _ password: String,
        algorithm: HashAlgorithm,
        salt: [UInt8],
        iterations: Int
    )
        -> [UInt8]
    {
        let bounded = min(max(iterations, 1), maximumIterations)
        return algorithm.pbkdf2(password: Array(normalize(password).utf8), salt: salt, iterations: bounded)
    }

    /// Checks a plaintext password (SASL PLAIN) against the stored form, in constant time.
    public func verify(password: String) -> Bool {
        let other = SCRAMCredentials.derive(
            password: password,
            algorithm: self.algorithm,
            salt: self.salt,
            iterations: self.iterations
        )
        return constantTimeEquals(other.storedKey, self.storedKey)
    }

    /// `Normalize` of RFC 5802 §2.2 is SASLprep (RFC 4013). Parley applies its core: NFKC, with
    /// non-ASCII spaces mapped to U+0020 and "commonly mapped to nothing" characters removed.
    /// ASCII passwords, which every Jitsi service account uses, are unchanged.
    public static func normalize(_ password: String) -> String {
        if password.utf8.allSatisfy({ $0 < 0x80 }) { return password }
        var scalars = String.UnicodeScalarView()
        for scalar in password.unicodeScalars {
            switch scalar.value {
            case 0x00AD, 0x034F, 0x1806, 0x180B...0x180D, 0x200B...0x200D, 0x2060, 0xFE00...0xFE0F, 0xFEFF:
                continue
            case 0x00A0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000:
                scalars.append(" ")
            default:
                scalars.append(scalar)
            }
        }
        return String(scalars).precomposedStringWithCompatibilityMapping
    }
}
