internal import COpenSSL

/// Makes the self-signed certificate a development or first-start server presents for STARTTLS (RFC 6120 §5) and
/// direct TLS (XEP-0368).
///
/// ECDSA P-256, X.509 v3, a random 127-bit serial, `CN` = the first host, a `subjectAltName` with each host and
/// `*.`host (so `meet.jitsi` also covers `muc.meet.jitsi`, `auth.meet.jitsi`…), `basicConstraints CA:FALSE`,
/// signed with SHA-256. IP literals are listed as `iPAddress` entries, without a wildcard.
public enum SelfSignedCertificate {
    /// - Returns: the certificate and its unencrypted PKCS#8 private key, both PEM.
    /// - Throws: `CertificateError` for bad arguments, `OpenSSLError` if OpenSSL fails.
    public static func make(
        hosts: [String],
        validDays: Int = 3650
    ) throws -> (certificatePEM: String, privateKeyPEM: String) {
        guard let commonName = hosts.first else {
            throw CertificateError.noHosts
        }
        guard (1...36_500).contains(validDays) else {
            throw CertificateError.invalidValidity(days: validDays)
        }
        let alternativeNames = try Self.subjectAlternativeNames(hosts)
        let key = try PrivateKey.generateP256()

        OpenSSLError.clearQueue()
        guard let pointer = X509_new() else {
            throw OpenSSLError.drain(operation: "X509_new")
        }
        let certificate = X509Certificate(taking: pointer)
        guard X509_set_version(pointer, 2) == 1 else {  // 2 means v3
            throw OpenSSLError.drain(operation: "X509_set_version")
        }
        try Self.setRandomSerial(pointer)
        guard X509_gmtime_adj(X509_getm_notBefore(pointer), -3600) != nil,  // an hour's grace for skewed clocks
            X509_time_adj_ex(X509_getm_notAfter(pointer), Int32(validDays), 0, nil) != nil
        else {
            throw OpenSSLError.drain(operation: "X509_time_adj_ex")
        }
        guard let name = X509_get_subject_name(pointer),
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1,
            X509_set_issuer_name(pointer, name) == 1,
            X509_set_pubkey(pointer, key.pointer) == 1
        else {
            throw OpenSSLError.drain(operation: "X509_NAME_add_entry_by_txt")
        }
        try Self.addExtension(pointer, nid: NID_basic_constraints, value: "critical,CA:FALSE")
        try Self.addExtension(pointer, nid: NID_subject_key_identifier, value: "hash")
        try Self.addExtension(pointer, nid: NID_ext_key_usage, value: "serverAuth,clientAuth")
        try Self.addExtension(pointer, nid: NID_subject_alt_name, value: alternativeNames)
        guard X509_sign(pointer, key.pointer, EVP_sha256()) > 0 else {
            throw OpenSSLError.drain(operation: "X509_sign")
        }
        return (try certificate.pem(), try key.pem())
    }

    /// `DNS:host,DNS:*.host,…` for OpenSSL's config syntax. Hosts are checked first, so none can inject a `,`.
    private static func subjectAlternativeNames(_ hosts: [String]) throws -> String {
        var entries: [String] = []
        for host in hosts {
            if X509Certificate.isIPAddress(host) {
                entries.append("IP:\(host)")
                continue
            }
            let allowed = host.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                    UInt8(ascii: "*"):
                    true
                default:
                    false
                }
            }
            guard !host.isEmpty, allowed else {
                throw CertificateError.invalidHost(host)
            }
            entries.append("DNS:\(host)")
            if !host.hasPrefix("*.") {
                entries.append("DNS:*.\(host)")
            }
        }
        var seen = Set<String>()
        return entries.filter { seen.insert($0).inserted }.joined(separator: ",")
    }

    /// A positive serial of 16 random bytes (RFC 5280 §4.1.2.2 allows up to 20).
    private static func setRandomSerial(_ certificate: OpaquePointer) throws {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else {
            throw OpenSSLError.drain(operation: "RAND_bytes")
        }
        bytes[0] = (bytes[0] & 0x7F) | 0x01  // positive, and never zero
        guard let number = BN_bin2bn(bytes, Int32(bytes.count), nil) else {
            throw OpenSSLError.drain(operation: "BN_bin2bn")
        }
        defer { BN_free(number) }
        guard BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nil else {
            throw OpenSSLError.drain(operation: "BN_to_ASN1_INTEGER")
        }
    }

    private static func addExtension(_ certificate: OpaquePointer, nid: Int32, value: String) throws {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, certificate, certificate, nil, nil, 0)
        guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
            throw OpenSSLError.drain(operation: "X509V3_EXT_conf_nid")
        }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(certificate, ext, -1) == 1 else {
            throw OpenSSLError.drain(operation: "X509_add_ext")
        }
    }
}
