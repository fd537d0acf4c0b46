import NIOCore
import NIOEmbedded
import ParleyTLS
import Testing

@Suite("OpenSSLHandler: failures fire one OpenSSLError and close")
struct OpenSSLHandlerFailureTests {
    static let garbage: [(name: String, bytes: [UInt8])] = [
        ("plain HTTP", Array("GET / HTTP/1.1\r\nHost: meet.jitsi\r\n\r\n".utf8)),
        ("zero bytes", [UInt8](repeating: 0, count: 100)),
        ("plain XMPP", Array("<?xml version='1.0'?><stream:stream to='meet.jitsi'>".utf8)),
        ("handshake record with SSL 2 version", [0x16, 0x02, 0x00, 0x00, 0x10] + [UInt8](repeating: 0x41, count: 16)),
        ("oversized record", [0x16, 0x03, 0x01, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 64)),
    ]

    @Test("garbage fed to a server", arguments: Self.garbage.indices)
    func garbageToServer(index: Int) throws {
        let (name, bytes) = Self.garbage[index]
        let events = EventRecorder()
        let channel = EmbeddedChannel(handlers: [try OpenSSLHandler(context: try makeServerContext().context), events])
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 5222)).wait()

        try channel.writeInbound(ByteBuffer(bytes: bytes))

        #expect(events.errors.count == 1, "\(name)")
        let error = try #require(events.errors.first as? OpenSSLError, "\(name)")
        #expect(!error.description.isEmpty)
        #expect(!error.reasons.isEmpty)
        #expect(!channel.isActive, "\(name)")
        #expect(events.handshakes.isEmpty && events.plaintext.readableBytes == 0)
    }

    @Test("the reason names the problem: wrong version number, http request")
    func readableReasons() throws {
        for (bytes, reason) in [
            ([UInt8](repeating: 0, count: 100), "wrong version number"),
            (Array("GET / HTTP/1.1\r\n\r\n".utf8), "http request"),
        ] {
            let events = EventRecorder()
            let channel = EmbeddedChannel(handlers: [
                try OpenSSLHandler(context: try makeServerContext().context), events,
            ])
            try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 5222)).wait()
            try channel.writeInbound(ByteBuffer(bytes: bytes))
            let error = try #require(events.errors.first as? OpenSSLError)
            #expect(error.description.contains(reason), "\(error)")
            _ = try? channel.finish(acceptAlreadyClosed: true)
        }
    }

    @Test(
        "a client that does not trust the certificate fails, once, and its held writes fail",
        arguments: [true, false]
    )
    func untrustedCertificate(withOtherRoot: Bool) throws {
        let otherRoot = withOtherRoot ? try SelfSignedCertificate.make(hosts: ["other.example"]).certificatePEM : nil
        let client = try TLSContext.client(verifyPeer: true, trustedRootsPEM: otherRoot)
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: client)
        let held = WriteOutcome(pair.client.writeAndFlush(ByteBuffer(string: "<auth/>")))
        try pair.handshake()

        #expect(pair.clientEvents.errors.count == 1)
        let error = try #require(pair.clientEvents.errors.first as? OpenSSLError)
        #expect(error.description.contains("certificate verify failed"), "\(error)")
        #expect(held.error is OpenSSLError)
        #expect(!pair.client.isActive)
        #expect(pair.clientEvents.handshakes.isEmpty)
        #expect(pair.serverEvents.plaintext.readableBytes == 0)
        // The server learns of it from the client's alert, and fails once too.
        #expect(pair.serverEvents.errors.count == 1)
        #expect(!pair.server.isActive)
    }

    @Test("a client that trusts the certificate accepts the host, its wildcard, and no other name")
    func trustedCertificateChecksName() throws {
        let (server, certificatePEM) = try makeServerContext(hosts: ["meet.jitsi"])
        let client = try TLSContext.client(verifyPeer: true, trustedRootsPEM: certificatePEM)
        for (hostname, accepted) in [("meet.jitsi", true), ("focus.meet.jitsi", true), ("meet.example", false)] {
            let pair = try TLSPair(serverContext: server, clientContext: client, serverHostname: hostname)
            try pair.handshake()
            #expect(pair.clientEvents.handshakes.count == (accepted ? 1 : 0), "\(hostname)")
            #expect(pair.clientEvents.errors.count == (accepted ? 0 : 1), "\(hostname)")
            if let error = pair.clientEvents.errors.first {
                #expect("\(error)".contains("hostname mismatch"), "\(error)")
            }
        }
    }

    @Test("one connection's failure leaves nothing behind for the next on the same thread")
    func errorQueueDoesNotLeak() throws {
        let server = try makeServerContext().context
        let failing = EventRecorder()
        let channel = EmbeddedChannel(handlers: [try OpenSSLHandler(context: server), failing])
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 5222)).wait()
        try channel.writeInbound(ByteBuffer(bytes: [UInt8](repeating: 0, count: 100)))
        #expect(failing.errors.count == 1)
        _ = try? channel.finish(acceptAlreadyClosed: true)

        let pair = try TLSPair(serverContext: server, clientContext: try TLSContext.client())
        try pair.handshake()
        #expect(pair.serverEvents.errors.isEmpty && pair.clientEvents.errors.isEmpty)
        #expect(pair.serverEvents.handshakes.count == 1)
    }
}
