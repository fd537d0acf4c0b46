import ParleyTLS
import Testing

@Suite("TLSContext")
struct TLSContextTests {
    @Test("a server context refuses a key that is not the certificate's")
    func mismatchedKey() throws {
        let first = try SelfSignedCertificate.make(hosts: ["meet.jitsi"])
        let second = try SelfSignedCertificate.make(hosts: ["meet.jitsi"])
        let error = #expect(throws: OpenSSLError.self) {
            try TLSContext.server(certificateChainPEM: first.certificatePEM, privateKeyPEM: second.privateKeyPEM)
        }
        #expect(error?.description.contains("key values mismatch") == true, "\(String(describing: error))")
    }

    @Test("a server context refuses text that is not PEM")
    func notPEM() throws {
        let (_, keyPEM) = try SelfSignedCertificate.make(hosts: ["meet.jitsi"])
        #expect(throws: OpenSSLError.self) {
            try TLSContext.server(certificateChainPEM: "not a certificate", privateKeyPEM: keyPEM)
        }
        #expect(throws: OpenSSLError.self) {
            try TLSContext.server(certificateChainPEM: "", privateKeyPEM: keyPEM)
        }
    }

    @Test("ALPN names must be 1 to 255 bytes")
    func applicationProtocolNames() throws {
        #expect(throws: OpenSSLError.self) { try TLSContext.client(applicationProtocols: [""]) }
        #expect(throws: OpenSSLError.self) {
            try TLSContext.client(applicationProtocols: [String(repeating: "x", count: 256)])
        }
    }

    @Test("contexts report their role")
    func roles() throws {
        let (certificatePEM, keyPEM) = try SelfSignedCertificate.make(hosts: ["meet.jitsi"])
        #expect(try TLSContext.server(certificateChainPEM: certificatePEM, privateKeyPEM: keyPEM).role == .server)
        #expect(try TLSContext.client().role == .client)
    }
}

@Suite("TLSContext chains")
struct TLSContextChainTests {
    @Test("a certificate chain (leaf, then more certificates) is accepted and served")
    func chain() throws {
        let leaf = try SelfSignedCertificate.make(hosts: ["meet.jitsi"])
        let other = try SelfSignedCertificate.make(hosts: ["intermediate.example"])
        let server = try TLSContext.server(
            certificateChainPEM: leaf.certificatePEM + other.certificatePEM,
            privateKeyPEM: leaf.privateKeyPEM
        )
        let pair = try TLSPair(serverContext: server, clientContext: try TLSContext.client())
        try pair.handshake()
        #expect(pair.clientEvents.handshakes.count == 1)
    }
}
