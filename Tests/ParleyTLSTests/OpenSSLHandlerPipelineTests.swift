import NIOCore
import NIOEmbedded
import ParleyTLS
import Testing

/// Echoes every read straight back, from inside `channelRead`: a handler above TLS that writes while TLS is
/// delivering plaintext, as a c2s handler answering a stanza does.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(self.wrapOutboundOut(self.unwrapInboundIn(data)), promise: nil)
        context.fireChannelRead(data)
    }
}

@Suite("OpenSSLHandler in a pipeline")
struct OpenSSLHandlerPipelineTests {
    @Test("STARTTLS: the handler added first to channels already active and talking (RFC 6120 §5.4.3.3)")
    func startTLSOnActiveChannels() throws {
        let server = EmbeddedChannel()
        let client = EmbeddedChannel()
        defer {
            _ = try? server.finish(acceptAlreadyClosed: true)
            _ = try? client.finish(acceptAlreadyClosed: true)
        }
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 5222)
        try server.connect(to: address).wait()
        try client.connect(to: address).wait()
        try server.writeAndFlush(ByteBuffer(string: "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")).wait()
        #expect(try server.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }?.hasPrefix("<proceed") == true)

        let serverEvents = EventRecorder()
        let clientEvents = EventRecorder()
        try server.pipeline.syncOperations.addHandler(serverEvents)
        try client.pipeline.syncOperations.addHandler(clientEvents)
        let serverContext = try makeServerContext().context
        try server.pipeline.syncOperations.addHandler(try OpenSSLHandler(context: serverContext), position: .first)
        try client.pipeline.syncOperations.addHandler(
            try OpenSSLHandler(context: try TLSContext.client(), serverHostname: "meet.jitsi"),
            position: .first
        )
        try Self.pump(client, server)
        #expect(serverEvents.handshakes.count == 1 && clientEvents.handshakes.count == 1)

        try client.writeAndFlush(ByteBuffer(string: "<stream:stream to='meet.jitsi'>")).wait()
        try Self.pump(client, server)
        #expect(serverEvents.text == "<stream:stream to='meet.jitsi'>")
    }

    @Test("a handler that writes from channelRead gets its data through, both before and after the handshake")
    func echoFromChannelRead() throws {
        let serverEvents = EventRecorder()
        let server = EmbeddedChannel(handlers: [
            try OpenSSLHandler(context: try makeServerContext().context), EchoHandler(), serverEvents,
        ])
        let clientEvents = EventRecorder()
        let client = EmbeddedChannel(handlers: [try OpenSSLHandler(context: try TLSContext.client()), clientEvents])
        defer {
            _ = try? server.finish(acceptAlreadyClosed: true)
            _ = try? client.finish(acceptAlreadyClosed: true)
        }
        client.write(ByteBuffer(string: "early "), promise: nil)
        client.flush()
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 5222)
        try server.connect(to: address).wait()
        try client.connect(to: address).wait()
        try Self.pump(client, server)
        try client.writeAndFlush(ByteBuffer(string: "late")).wait()
        try Self.pump(client, server)

        #expect(serverEvents.text == "early late")
        #expect(clientEvents.text == "early late")
        #expect(serverEvents.errors.isEmpty && clientEvents.errors.isEmpty)
    }

    @Test("a handshake and data fed one byte at a time")
    func oneByteAtATime() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        try pair.connect()
        try Self.pump(pair.client, pair.server, chunkSize: 1)
        #expect(pair.serverEvents.handshakes.count == 1 && pair.clientEvents.handshakes.count == 1)

        try pair.client.writeAndFlush(ByteBuffer(string: "<presence/>")).wait()
        try Self.pump(pair.client, pair.server, chunkSize: 1)
        #expect(pair.serverEvents.text == "<presence/>")
    }

    @Test("the server closing closes the client too, cleanly; closing twice is harmless")
    func serverCloses() throws {
        let pair = try TLSPair(serverContext: try makeServerContext().context, clientContext: try TLSContext.client())
        try pair.handshake()

        let first = WriteOutcome(pair.server.close())
        let second = WriteOutcome(pair.server.close())
        #expect(first.succeeded)
        #expect(second.result != nil)
        try pair.interactInMemory()

        #expect(!pair.server.isActive && !pair.client.isActive)
        #expect(pair.clientEvents.becameInactive)
        #expect(pair.serverEvents.errors.isEmpty && pair.clientEvents.errors.isEmpty)
    }

    /// Like `TLSPair.interactInMemory`, for any two channels, optionally re-split into `chunkSize`-byte reads.
    static func pump(_ client: EmbeddedChannel, _ server: EmbeddedChannel, chunkSize: Int = .max) throws {
        var moved = true
        while moved {
            moved = false
            for (from, to) in [(client, server), (server, client)] {
                guard var bytes = try from.readOutbound(as: ByteBuffer.self) else {
                    continue
                }
                moved = true
                while to.isActive, let chunk = bytes.readSlice(length: min(chunkSize, bytes.readableBytes)),
                    chunk.readableBytes > 0
                {
                    try to.writeInbound(chunk)
                }
            }
        }
    }
}
