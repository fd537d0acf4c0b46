internal import COpenSSL

/// Shared TLS configuration: one `SSL_CTX` from which every connection's `SSL` is made.
///
/// Serves STARTTLS on c2s (RFC 6120 §5) and direct TLS (XEP-0368), and the client side for the load generator and
/// tests. Only TLS 1.2 and 1.3 (RFC 8446) are negotiated; renegotiation and compression are off, and idle
/// connections give their record buffers back (`SSL_MODE_RELEASE_BUFFERS`).
///
/// Server contexts are set up for cheap full handshakes, since an XMPP client connects once and stays:
/// - no session resumption: no TLS 1.3 tickets (RFC 8446 §4.6.1; OpenSSL sends two after every handshake by
///   default, each a session encoding, encryption, HMAC and HKDF step), no TLS 1.2 tickets (RFC 5077) and no server
///   session cache. Every handshake is a full one, with its own (EC)DHE key exchange;
/// - TLS 1.2 with ECDHE and AEAD suites only (`serverTLS12CipherSuites`), in the server's order;
/// - TLS 1.3 suites in the server's order, `TLS_AES_128_GCM_SHA256` first (the suite RFC 8446 §9.1 makes
///   mandatory): its key schedule runs on SHA-256, which is cheaper than OpenSSL's default first choice,
///   SHA-384;
/// - the chain sent is exactly the configured one (`SSL_MODE_NO_AUTO_CHAIN`), so OpenSSL does not build and
///   verify a chain against an empty store on every handshake.
///
/// ```swift
/// let (certificatePEM, keyPEM) = try CertificateStore.loadOrCreate(directory: dataDirectory, hosts: ["meet.jitsi"])
/// let context = try TLSContext.server(certificateChainPEM: certificatePEM, privateKeyPEM: keyPEM)
/// try channel.pipeline.syncOperations.addHandler(OpenSSLHandler(context: context), position: .first)
/// ```
public final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is never changed after the factory returns, and OpenSSL allows SSL_new on a
    // shared, unchanging SSL_CTX from any thread.

    /// Which side of the handshake connections made from this context take.
    public enum Role: Sendable, Hashable {
        case server
        case client
    }

    public let role: Role

    /// The `SSL_CTX*`, owned: freed in `deinit`.
    let pointer: OpaquePointer

    /// Whether clients check the server's certificate chain (and name, when a hostname is given).
    let verifiesPeer: Bool

    /// ALPN protocols in wire format (RFC 7301 §3.1), allocated here because the server's selection callback
    /// hands OpenSSL a pointer into it. `nil` when no protocols were configured.
    private let alpnWireFormat: UnsafeMutableBufferPointer<UInt8>?

    private init(role: Role, maximumVersion: TLSVersion, verifiesPeer: Bool, applicationProtocols: [String]) throws {
        let wireFormat = try Self.wireFormat(applicationProtocols)
        OpenSSLError.clearQueue()
        guard let pointer = SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) else {
            throw OpenSSLError.drain(operation: "SSL_CTX_new")
        }
        self.pointer = pointer
        self.role = role
        self.verifiesPeer = verifiesPeer
        if wireFormat.isEmpty {
            self.alpnWireFormat = nil
        } else {
            let storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: wireFormat.count)
            _ = storage.initialize(from: wireFormat)
            self.alpnWireFormat = storage
        }

        guard COpenSSL_SSL_CTX_set_min_proto_version(pointer, TLSVersion.tls1_2.openSSLValue) == 1,
            COpenSSL_SSL_CTX_set_max_proto_version(pointer, maximumVersion.openSSLValue) == 1
        else {
            throw OpenSSLError.drain(operation: "SSL_CTX_set_min_proto_version")
        }
        _ = COpenSSL_SSL_CTX_set_options(
            pointer,
            COpenSSL_SSL_OP_NO_RENEGOTIATION() | COpenSSL_SSL_OP_NO_COMPRESSION()
        )
        _ = COpenSSL_SSL_CTX_set_mode(
            pointer,
            COpenSSL_SSL_MODE_RELEASE_BUFFERS() | COpenSSL_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER()
        )
    }

    deinit {
        SSL_CTX_free(self.pointer)
        self.alpnWireFormat?.deallocate()
    }

    /// A server context presenting `certificateChainPEM` (leaf first, then any intermediates).
    ///
    /// - Parameter applicationProtocols: ALPN protocols in order of preference, for example `["xmpp-client"]` on a
    ///   XEP-0368 direct TLS port. A client that offers none, or none of these, is still served, without ALPN.
    /// - Throws: `OpenSSLError` if either PEM cannot be read or the key does not belong to the certificate.
    public static func server(
        certificateChainPEM: String,
        privateKeyPEM: String,
        applicationProtocols: [String] = []
    ) throws -> TLSContext {
        let context = try TLSContext(
            role: .server,
            maximumVersion: .tls1_3,
            verifiesPeer: false,
            applicationProtocols: applicationProtocols
        )
        let certificates = try X509Certificate.readAll(pem: certificateChainPEM)
        let key = try PrivateKey(pem: privateKeyPEM)
        OpenSSLError.clearQueue()
        guard let leaf = certificates.first, SSL_CTX_use_certificate(context.pointer, leaf.pointer) == 1 else {
            throw OpenSSLError.drain(operation: "SSL_CTX_use_certificate")
        }
        for intermediate in certificates.dropFirst() {
            guard COpenSSL_SSL_CTX_add1_chain_cert(context.pointer, intermediate.pointer) == 1 else {
                throw OpenSSLError.drain(operation: "SSL_CTX_add1_chain_cert")
            }
        }
        guard SSL_CTX_use_PrivateKey(context.pointer, key.pointer) == 1,
            SSL_CTX_check_private_key(context.pointer) == 1
        else {
            throw OpenSSLError.drain(operation: "SSL_CTX_check_private_key")
        }
        SSL_CTX_set_verify(context.pointer, SSL_VERIFY_NONE, nil)
        try context.configureServerHandshakes()
        if context.alpnWireFormat != nil {
            // Unretained is safe: every SSL made from this SSL_CTX belongs to a TLSConnection holding `context`.
            let argument = Unmanaged.passUnretained(context).toOpaque()
            SSL_CTX_set_alpn_select_cb(
                context.pointer,
                { _, out, outLength, offered, offeredLength, argument in
                    TLSContext.selectApplicationProtocol(out, outLength, offered, offeredLength, argument)
                },
                argument
            )
        }
        return context
    }

    /// The TLS 1.3 suites a server offers, in its order of preference: all of OpenSSL's defaults (RFC 8446 §9.1),
    /// with the SHA-256 ones first.
    static let serverCipherSuites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"

    /// The TLS 1.2 suites a server offers, in its order of preference: ECDHE key exchange with an AEAD cipher only
    /// (AES-GCM, RFC 5288 and RFC 5289; ChaCha20-Poly1305, RFC 7905), for ECDSA and RSA certificates. No CBC suite
    /// (the LUCKY13 timing channel, and the MAC-then-encrypt construction RFC 7366 works around), no static RSA key
    /// exchange (no forward secrecy), no finite-field DHE (RFC 7919's groups cost more than X25519 for nothing).
    static let serverTLS12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    ].joined(separator: ":")

    /// Full handshakes only, in the server's suite order, with the configured chain: see the type's documentation.
    private func configureServerHandshakes() throws {
        guard SSL_CTX_set_cipher_list(self.pointer, Self.serverTLS12CipherSuites) == 1 else {
            throw OpenSSLError.drain(operation: "SSL_CTX_set_cipher_list")
        }
        // RFC 8446 §4.6.1: no NewSessionTicket after the handshake (SSL_CTX_set_num_tickets(3)).
        guard SSL_CTX_set_num_tickets(self.pointer, 0) == 1 else {
            throw OpenSSLError.drain(operation: "SSL_CTX_set_num_tickets")
        }
        guard SSL_CTX_set_ciphersuites(self.pointer, Self.serverCipherSuites) == 1 else {
            throw OpenSSLError.drain(operation: "SSL_CTX_set_ciphersuites")
        }
        _ = COpenSSL_SSL_CTX_set_options(
            self.pointer,
            COpenSSL_SSL_OP_NO_TICKET() | COpenSSL_SSL_OP_CIPHER_SERVER_PREFERENCE()
        )
        _ = COpenSSL_SSL_CTX_set_session_cache_mode(self.pointer, COpenSSL_SSL_SESS_CACHE_OFF())
        _ = COpenSSL_SSL_CTX_set_mode(self.pointer, COpenSSL_SSL_MODE_NO_AUTO_CHAIN())
    }

    /// A client context, for the load generator and tests.
    ///
    /// - Parameters:
    ///   - verifyPeer: check the server's chain, and its name when `OpenSSLHandler` is given a hostname. Off by
    ///     default because development servers use self-signed certificates.
    ///   - trustedRootsPEM: the certificates to trust; `nil` means the system's default trust store.
    ///   - maximumVersion: the newest version to offer; `.tls1_2` forces TLS 1.2.
    ///   - applicationProtocols: ALPN protocols to offer, for example `["xmpp-client"]` (XEP-0368).
    public static func client(
        verifyPeer: Bool = false,
        trustedRootsPEM: String? = nil,
        maximumVersion: TLSVersion = .tls1_3,
        applicationProtocols: [String] = []
    ) throws -> TLSContext {
        let context = try TLSContext(
            role: .client,
            maximumVersion: maximumVersion,
            verifiesPeer: verifyPeer,
            applicationProtocols: applicationProtocols
        )
        if let trustedRootsPEM {
            let store = SSL_CTX_get_cert_store(context.pointer)
            for certificate in try X509Certificate.readAll(pem: trustedRootsPEM) {
                guard X509_STORE_add_cert(store, certificate.pointer) == 1 else {
                    throw OpenSSLError.drain(operation: "X509_STORE_add_cert")
                }
            }
        } else if verifyPeer {
            guard SSL_CTX_set_default_verify_paths(context.pointer) == 1 else {
                throw OpenSSLError.drain(operation: "SSL_CTX_set_default_verify_paths")
            }
        }
        SSL_CTX_set_verify(context.pointer, verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if let wireFormat = context.alpnWireFormat,
            SSL_CTX_set_alpn_protos(context.pointer, wireFormat.baseAddress, UInt32(wireFormat.count)) != 0
        {
            throw OpenSSLError.drain(operation: "SSL_CTX_set_alpn_protos")
        }
        return context
    }

    /// RFC 7301 §3.1: each name is one length byte followed by 1–255 bytes.
    private static func wireFormat(_ protocols: [String]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for name in protocols {
            let utf8 = Array(name.utf8)
            guard (1...255).contains(utf8.count) else {
                throw OpenSSLError(operation: "ALPN", reasons: ["protocol name must be 1 to 255 bytes: \"\(name)\""])
            }
            bytes.append(UInt8(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        return bytes
    }

    /// The server's ALPN choice: the first of our protocols the client also offers. With no overlap the handshake
    /// goes on without ALPN (`SSL_TLSEXT_ERR_NOACK`) instead of failing, so that clients which do not know
    /// XEP-0368's `xmpp-client` still connect.
    private static func selectApplicationProtocol(
        _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
        _ outLength: UnsafeMutablePointer<UInt8>?,
        _ offered: UnsafePointer<UInt8>?,
        _ offeredLength: UInt32,
        _ argument: UnsafeMutableRawPointer?
    ) -> Int32 {
        guard let out, let outLength, let offered, offeredLength > 0, let argument else {
            return SSL_TLSEXT_ERR_NOACK
        }
        let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
        guard let ours = context.alpnWireFormat, let base = ours.baseAddress else {
            return SSL_TLSEXT_ERR_NOACK
        }
        var selected: UnsafeMutablePointer<UInt8>? = nil
        var selectedLength: UInt8 = 0
        let result = SSL_select_next_proto(
            &selected,
            &selectedLength,
            base,
            UInt32(ours.count),
            offered,
            offeredLength
        )
        guard result == OPENSSL_NPN_NEGOTIATED, let selected else {
            return SSL_TLSEXT_ERR_NOACK
        }
        out.pointee = UnsafePointer(selected)
        outLength.pointee = selectedLength
        return SSL_TLSEXT_ERR_OK
    }
}
