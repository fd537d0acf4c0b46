internal import COpenSSL

/// Owns one `X509*` and frees it in `deinit`.
final class X509Certificate {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        X509_free(self.pointer)
    }

    /// Every `CERTIFICATE` block in `pem`, in order: the leaf first, then its chain. Throws if there is none.
    static func readAll(pem: String) throws -> [X509Certificate] {
        try MemoryBIO.reading(pem, operation: "PEM_read_bio_X509") { bio in
            var certificates: [X509Certificate] = []
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(X509Certificate(taking: certificate))
            }
            guard !certificates.isEmpty else {
                throw OpenSSLError.drain(operation: "PEM_read_bio_X509")
            }
            // The read that ended the loop left "no start line" on the queue; it is not an error here.
            OpenSSLError.clearQueue()
            return certificates
        }
    }

    /// Whether `key` is the private half of this certificate's public key.
    func matches(_ key: PrivateKey) -> Bool {
        OpenSSLError.clearQueue()
        defer { OpenSSLError.clearQueue() }
        return X509_check_private_key(self.pointer, key.pointer) == 1
    }

    /// The subject's common name (CN), if it has one.
    var commonName: String? {
        guard let name = X509_get_subject_name(self.pointer) else {
            return nil
        }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index) else {
            return nil
        }
        return Self.string(X509_NAME_ENTRY_get_data(entry))
    }

    /// The `dNSName` entries of the subjectAltName extension (RFC 5280 §4.2.1.6), in order.
    var dnsNames: [String] {
        guard let extensionValue = X509_get_ext_d2i(self.pointer, NID_subject_alt_name, nil, nil) else {
            return []
        }
        let names = OpaquePointer(extensionValue)
        defer { GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<max(0, OPENSSL_sk_num(names)) {
            guard let raw = OPENSSL_sk_value(names, index) else {
                continue
            }
            let name = raw.assumingMemoryBound(to: GENERAL_NAME.self)
            if name.pointee.type == GEN_DNS, let value = Self.string(name.pointee.d.dNSName) {
                result.append(value)
            }
        }
        return result
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`).
    func pem() throws -> String {
        try MemoryBIO.writing(operation: "PEM_write_bio_X509") { bio in
            PEM_write_bio_X509(bio, self.pointer)
        }
    }

    private static func string(_ value: UnsafePointer<ASN1_STRING>?) -> String? {
        guard let value, let data = ASN1_STRING_get0_data(value) else {
            return nil
        }
        let length = max(0, Int(ASN1_STRING_length(value)))
        return String(decoding: UnsafeBufferPointer(start: data, count: length), as: UTF8.self)
    }
}

@available(*, unavailable)
extension X509Certificate: Sendable {}

extension X509Certificate {
    /// Whether `host` is an IPv4 or IPv6 literal rather than a DNS name (RFC 6066 §3 forbids those in SNI;
    /// RFC 5280 puts them in `iPAddress`, not `dNSName`).
    static func isIPAddress(_ host: String) -> Bool {
        OpenSSLError.clearQueue()
        defer { OpenSSLError.clearQueue() }
        guard let address = a2i_IPADDRESS(host) else {
            return false
        }
        ASN1_OCTET_STRING_free(address)
        return true
    }
}
