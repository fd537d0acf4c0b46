internal import COpenSSL

/// An RSA public key read from PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo), for checking the
/// signatures of RS256/RS384/RS512 tokens (RFC 7518 §3.3: RSASSA-PKCS1-v1_5) with OpenSSL's `EVP_DigestVerify`.
///
/// Owns its `EVP_PKEY` and frees it in `deinit`.
public final class RSAPublicKey: @unchecked Sendable, Hashable {
    // @unchecked: the EVP_PKEY is never changed after `init`, and OpenSSL allows verifying with one key from
    // several threads at once (each verification has its own EVP_MD_CTX).
    private let key: OpaquePointer
    /// The PEM text it was read from: its identity.
    public let pem: String

    /// Nil when `pem` holds no public key, or one that is not RSA.
    public init?(pem: String) {
        let bytes = Array(pem.utf8)
        guard bytes.count <= 64 * 1024 else { return nil }
        let read: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        ERR_clear_error()
        guard let read else { return nil }
        guard EVP_PKEY_get_base_id(read) == EVP_PKEY_RSA else {
            EVP_PKEY_free(read)
            return nil
        }
        self.key = read
        self.pem = pem
    }

    deinit { EVP_PKEY_free(self.key) }

    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 signature of `message` with `algorithm`'s hash.
    func verify(signature: [UInt8], of message: ArraySlice<UInt8>, algorithm: JWTAlgorithm) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
        }
        guard EVP_DigestVerifyInit(context, nil, algorithm.digest, nil, self.key) == 1 else { return false }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { data in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, data.baseAddress, data.count)
            }
        }
        return result == 1
    }

    public static func == (lhs: RSAPublicKey, rhs: RSAPublicKey) -> Bool { lhs.pem == rhs.pem }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.pem) }
}
