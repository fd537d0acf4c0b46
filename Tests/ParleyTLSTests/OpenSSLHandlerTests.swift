import NIOCore
import NIOEmbedded
import ParleyTLS
import Testing

@Suite("OpenSSLHandler: handshake and application data")
struct OpenSSLHandlerTests {
    @Test("the handshake completes with TLS 1.3 by default and is reported once on each side")
    func handshakeCompletesWithTLS13() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        try pair.handshake()

        #expect(pair.serverEvents.handshakes.count == 1)
        #expect(pair.clientEvents.handshakes.count == 1)
        let server = try #require(pair.serverEvents.handshakes.first)
        #expect(server.protocolVersion == "TLSv1.3")
        #expect(!server.cipher.isEmpty && server.cipher != "unknown")
        #expect(pair.clientEvents.handshakes.first == server)
        #expect(pair.serverEvents.errors.isEmpty && pair.clientEvents.errors.isEmpty)
        #expect(pair.server.isActive && pair.client.isActive)
    }

    @Test("full handshakes only: AES-128-GCM-SHA256 is chosen and no session ticket follows the client's Finished")
    func serverSendsNoTickets() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        try pair.connect()
        // ClientHello →, ← ServerHello…Finished, Finished →: then the server has nothing more to say
        // (RFC 8446 §4.6.1 would have it send NewSessionTicket here).
        let clientHello = try #require(try pair.client.readOutbound(as: ByteBuffer.self))
        try pair.server.writeInbound(clientHello)
        while let flight = try pair.server.readOutbound(as: ByteBuffer.self) {
            try pair.client.writeInbound(flight)
        }
        let finished = try #require(try pair.client.readOutbound(as: ByteBuffer.self))
        try pair.server.writeInbound(finished)

        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)
        #expect(pair.serverEvents.handshakes.map(\.cipher) == ["TLS_AES_128_GCM_SHA256"])
        #expect(pair.clientEvents.handshakes.map(\.cipher) == ["TLS_AES_128_GCM_SHA256"])
    }

    @Test("a client limited to TLS 1.2 still completes, with TLS 1.2")
    func clientLimitedToTLS12() throws {
        let client = try TLSContext.client(maximumVersion: .tls1_2)
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: client)
        try pair.handshake()

        #expect(pair.serverEvents.handshakes.map(\.protocolVersion) == ["TLSv1.2"])
        #expect(pair.clientEvents.handshakes.map(\.protocolVersion) == ["TLSv1.2"])
        #expect(pair.serverEvents.errors.isEmpty && pair.clientEvents.errors.isEmpty)
    }

    @Test("application data flows both ways and write promises succeed")
    func applicationDataBothWays() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        try pair.handshake()

        let toServer = WriteOutcome(pair.client.writeAndFlush(ByteBuffer(string: "<stream:stream>")))
        try pair.interactInMemory()
        #expect(pair.serverEvents.text == "<stream:stream>")
        #expect(toServer.succeeded)

        let toClient = WriteOutcome(pair.server.writeAndFlush(ByteBuffer(string: "<stream:features/>")))
        try pair.interactInMemory()
        #expect(pair.clientEvents.text == "<stream:features/>")
        #expect(toClient.succeeded)
    }

    @Test("a 1 MiB write arrives intact")
    func oneMebibyteWrite() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        try pair.handshake()

        let bytes = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let outcome = WriteOutcome(pair.client.writeAndFlush(ByteBuffer(bytes: bytes)))
        try pair.interactInMemory()

        #expect(outcome.succeeded)
        #expect(pair.serverEvents.plaintext.readableBytes == bytes.count)
        #expect(pair.serverEvents.plaintext.readableBytesView.elementsEqual(bytes))
    }

    @Test("writes issued before the handshake are held, then sent in order; unflushed ones wait for a flush")
    func writesBeforeHandshake() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        let first = WriteOutcome(pair.client.writeAndFlush(ByteBuffer(string: "first ")))
        let second = WriteOutcome(pair.client.writeAndFlush(ByteBuffer(string: "second ")))
        let unflushed = WriteOutcome(pair.client.write(ByteBuffer(string: "third")))
        #expect(first.result == nil && second.result == nil)

        try pair.connect()
        // The server writes while its handshake is still in progress, too.
        let early = WriteOutcome(pair.server.writeAndFlush(ByteBuffer(string: "early")))
        try pair.interactInMemory()

        #expect(pair.serverEvents.text == "first second ")
        #expect(pair.clientEvents.text == "early")
        #expect(first.succeeded && second.succeeded && early.succeeded)
        #expect(unflushed.result == nil)

        pair.client.flush()
        try pair.interactInMemory()
        #expect(pair.serverEvents.text == "first second third")
        #expect(unflushed.succeeded)
    }

    @Test("a client's Finished and the writes it held leave with one flush and reach the server as one read")
    func finishedAndHeldWritesTogether() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        let flushes = FlushCounter()
        try pair.client.pipeline.syncOperations.addHandler(flushes, position: .first)
        _ = pair.client.writeAndFlush(ByteBuffer(string: "<stream:stream>"))
        _ = pair.client.writeAndFlush(ByteBuffer(string: "<iq/>"))
        try pair.connect()
        let clientHello = try #require(try pair.client.readOutbound(as: ByteBuffer.self))
        try pair.server.writeInbound(clientHello)
        while let flight = try pair.server.readOutbound(as: ByteBuffer.self) {
            try pair.client.writeInbound(flight)
        }
        let before = flushes.flushes

        // Everything the client wrote on completing its handshake, as one socket read would see it.
        var segment = ByteBuffer()
        while var bytes = try pair.client.readOutbound(as: ByteBuffer.self) {
            segment.writeBuffer(&bytes)
        }
        try pair.server.writeInbound(segment)

        #expect(before == 2)  // the ClientHello's flush, then the one for Finished and the held writes
        #expect(pair.serverEvents.handshakes.count == 1)
        #expect(pair.serverEvents.text == "<stream:stream><iq/>")
        #expect(pair.serverEvents.reads == 1)
    }

    @Test("close sends close_notify; the peer answers and closes without an error")
    func closeNotify() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        try pair.handshake()

        let closed = WriteOutcome(pair.client.close())
        #expect(!pair.client.isActive)
        #expect(closed.succeeded)
        let alert = try #require(try pair.client.readOutbound(as: ByteBuffer.self))
        #expect(alert.getInteger(at: alert.readerIndex, as: UInt8.self) == 23)  // an encrypted record (TLS 1.3)
        #expect(pair.server.isActive)

        try pair.server.writeInbound(alert)
        #expect(!pair.server.isActive)
        #expect(pair.serverEvents.becameInactive)
        #expect(pair.serverEvents.errors.isEmpty && pair.clientEvents.errors.isEmpty)
        // The server answered with its own close_notify before closing.
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) != nil)
    }

    @Test("writes after close fail; a close before the handshake just closes")
    func writesAfterClose() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        let held = WriteOutcome(pair.client.writeAndFlush(ByteBuffer(string: "never sent")))
        try pair.connect()
        let closed = WriteOutcome(pair.client.close())
        #expect(closed.succeeded)
        #expect(held.error as? ChannelError == .ioOnClosedChannel)
        let late = WriteOutcome(pair.client.writeAndFlush(ByteBuffer(string: "late")))
        #expect(late.error != nil)
    }

    @Test("ALPN: xmpp-client is agreed when both offer it; a client offering none or others still connects")
    func applicationProtocols() throws {
        let cases: [([String], String?)] = [(["xmpp-client"], "xmpp-client"), ([], nil), (["h2"], nil)]
        for (offered, expected) in cases {
            let server = try makeServerContext(applicationProtocols: ["xmpp-client"]).context
            let client = try TLSContext.client(applicationProtocols: offered)
            let pair = try TLSPair(serverContext: server, clientContext: client)
            try pair.handshake()
            #expect(pair.serverEvents.handshakes.map(\.applicationProtocol) == [expected], "offered \(offered)")
            #expect(pair.clientEvents.handshakes.map(\.applicationProtocol) == [expected], "offered \(offered)")
        }
    }
}
