internal import COpenSSL

/// The hash functions SCRAM uses: SHA-1 (RFC 5802) and SHA-256 (RFC 7677).
///
/// One crypto stack: these run on the system's OpenSSL (libcrypto), the same library that does TLS.
public enum HashAlgorithm: String, Sendable, Hashable, CaseIterable {
    case sha1 = "SHA-1"
    case sha256 = "SHA-256"

    /// Output size in bytes.
    public var digestLength: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        }
    }

    var evp: OpaquePointer? {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        }
    }

    /// `H(data)`.
    public func hash(_ data: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(data)
        var out = [UInt8](repeating: 0, count: self.digestLength)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, self.evp, nil)
            }
        }
        precondition(ok == 1 && Int(length) == self.digestLength, "EVP_Digest failed: libcrypto is broken")
        return out
    }

    /// `HMAC(key, data)` (RFC 2104).
    public func hmac(key: some Collection<UInt8>, _ data: some Collection<UInt8>) -> [UInt8] {
        let keyBytes = Array(key)
        let bytes = Array(data)
        var out = [UInt8](repeating: 0, count: self.digestLength)
        var length: UInt32 = 0
        let result = keyBytes.withUnsafeBufferPointer { k in
            bytes.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    HMAC(self.evp, k.baseAddress, Int32(k.count), d.baseAddress, d.count, o.baseAddress, &length)
                }
            }
        }
        precondition(result != nil && Int(length) == self.digestLength, "HMAC failed: libcrypto is broken")
        return out
    }

    /// `Hi(password, salt, i)` of RFC 5802 §2.2, which is PBKDF2 with HMAC as the PRF (RFC 8018).
    /// `iterations` must be positive; callers bound it (see `SCRAMCredentials.maximumIterations`).
    public func pbkdf2(password: some Collection<UInt8>, salt: some Collection<UInt8>, iterations: Int) -> [UInt8] {
        precondition(iterations > 0 && iterations <= Int(Int32.max))
        let p = Array(password)
        let s = Array(salt)
        var out = [UInt8](repeating: 0, count: self.digestLength)
        let ok = p.withUnsafeBufferPointer { pw in
            s.withUnsafeBufferPointer { sb in
                out.withUnsafeMutableBufferPointer { o in
                    pw.withMemoryRebound(to: CChar.self) { pwc in
                        PKCS5_PBKDF2_HMAC(
                            pwc.baseAddress,
                            Int32(pwc.count),
                            sb.baseAddress,
                            Int32(sb.count),
                            Int32(iterations),
                            self.evp,
                            Int32(o.count),
                            o.baseAddress
                        )
                    }
                }
            }
        }
        precondition(ok == 1, "PBKDF2 failed: libcrypto is broken")
        return out
    }
}

/// Cryptographic helpers on OpenSSL.
public enum SecureRandom {
    /// `count` bytes straight from OpenSSL's CSPRNG, for key material (salts, nonces, secrets).
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        precondition(ok == 1, "RAND_bytes failed: no entropy")
        return out
    }

    /// A random string over `alphabet` of length `count`, without modulo bias.
    public static func string(count: Int, alphabet: [Character]) -> String {
        var letters: [Character] = []
        letters.reserveCapacity(count)
        self.forEachPick(count: count, from: alphabet.count) { letters.append(alphabet[$1]) }
        return String(letters)
    }

    /// A random string over an alphabet of ASCII characters (one byte each), without modulo bias.
    ///
    /// The fast form, for stream IDs, resources and the like: the letters are written straight into the
    /// string's storage, one allocation per ID and none for IDs of 15 bytes or fewer. Appending `Character`s
    /// (and reading `String.count`, which walks the string) costs tens of thousands of instructions per ID.
    public static func string(count: Int, alphabet: [UInt8]) -> String {
        precondition(alphabet.allSatisfy { $0 < 0x80 }, "not an ASCII alphabet")
        return String(unsafeUninitializedCapacity: count) { letters in
            self.forEachPick(count: count, from: alphabet.count) { index, pick in letters[index] = alphabet[pick] }
            return count
        }
    }

    /// Calls `body` with `(0, pick)` … `(count - 1, pick)`: `count` uniform indexes into an alphabet of `size`
    /// letters. Random bytes (from this thread's `RandomPool`, copied to the stack) at or above the largest multiple
    /// of `size` are dropped rather than folded in, which would favour the first letters.
    private static func forEachPick(count: Int, from size: Int, _ body: (Int, Int) -> Void) {
        precondition(count >= 0 && size > 0 && size <= 256)
        let limit = 256 - (256 % size)
        var filled = 0
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { random in
            while filled < count {
                let wanted = min(random.count, (count - filled) * 2)
                RandomPool.current.fill(UnsafeMutableBufferPointer(rebasing: random[0..<wanted]))
                for byte in random[0..<wanted] where Int(byte) < limit && filled < count {
                    body(filled, Int(byte) % size)
                    filled += 1
                }
            }
        }
    }

    public static let lowercaseAlphanumerics = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    public static let identifierAlphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".utf8
    )
}

/// Compares two byte strings in time independent of where they differ.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}
