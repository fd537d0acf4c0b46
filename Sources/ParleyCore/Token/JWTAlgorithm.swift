internal import COpenSSL

/// The signature algorithms a Jitsi token may use (RFC 7518 §3.1), those of Jitsi's `luajwtjitsi.lib.lua`:
/// HMAC with a shared secret (`app_secret`, docker's `JWT_APP_SECRET`) or RSASSA-PKCS1-v1_5 with a public key
/// (`asap_key_server`). `none` is not one of them: an unsigned token is never accepted.
public enum JWTAlgorithm: String, Sendable, Hashable, CaseIterable {
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"
    case rs256 = "RS256"
    case rs384 = "RS384"
    case rs512 = "RS512"

    /// HMAC with a shared secret; otherwise RSA with a public key.
    public var usesSharedSecret: Bool {
        switch self {
        case .hs256, .hs384, .hs512: true
        case .rs256, .rs384, .rs512: false
        }
    }

    var digest: OpaquePointer? {
        switch self {
        case .hs256, .rs256: EVP_sha256()
        case .hs384, .rs384: EVP_sha384()
        case .hs512, .rs512: EVP_sha512()
        }
    }

    /// `HMAC(secret, message)` with this algorithm's hash (RFC 2104), on libcrypto.
    func hmac(secret: [UInt8], _ message: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = secret.withUnsafeBufferPointer { key in
            message.withUnsafeBufferPointer { data in
                out.withUnsafeMutableBufferPointer { output in
                    HMAC(
                        self.digest,
                        key.baseAddress,
                        Int32(key.count),
                        data.baseAddress,
                        data.count,
                        output.baseAddress,
                        &length
                    )
                }
            }
        }
        precondition(result != nil, "HMAC failed: libcrypto is broken")
        return Array(out.prefix(Int(length)))
    }
}
