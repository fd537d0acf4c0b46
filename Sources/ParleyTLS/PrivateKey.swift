internal import COpenSSL

/// Owns one `EVP_PKEY*` and frees it in `deinit`.
final class PrivateKey {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(self.pointer)
    }

    /// Parses the first private key in `pem` (PKCS#8, SEC1 or PKCS#1). Encrypted keys are refused rather than
    /// prompting on the terminal for a passphrase, which is what OpenSSL's default callback would do.
    convenience init(pem: String) throws {
        let key = try MemoryBIO.reading(pem, operation: "PEM_read_bio_PrivateKey") { bio -> OpaquePointer in
            guard let key = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) else {
                throw OpenSSLError.drain(operation: "PEM_read_bio_PrivateKey")
            }
            return key
        }
        self.init(taking: key)
    }

    /// A new ECDSA key on P-256 (secp256r1).
    static func generateP256() throws -> PrivateKey {
        OpenSSLError.clearQueue()
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw OpenSSLError.drain(operation: "EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, "P-256") == 1 else {
            throw OpenSSLError.drain(operation: "EVP_PKEY_keygen_init")
        }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_generate(context, &key) == 1, let key else {
            throw OpenSSLError.drain(operation: "EVP_PKEY_generate")
        }
        return PrivateKey(taking: key)
    }

    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    func pem() throws -> String {
        try MemoryBIO.writing(operation: "PEM_write_bio_PrivateKey") { bio in
            PEM_write_bio_PrivateKey(bio, self.pointer, nil, nil, 0, nil, nil)
        }
    }
}

@available(*, unavailable)
extension PrivateKey: Sendable {}
