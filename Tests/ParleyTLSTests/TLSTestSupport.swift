import NIOCore
import NIOEmbedded
import ParleyTLS

/// The server certificate most tests use, made fresh for each test.
func makeServerContext(
    hosts: [String] = ["meet.jitsi"],
    applicationProtocols: [String] = []
) throws -> (context: TLSContext, certificatePEM: String) {
    let (certificatePEM, keyPEM) = try SelfSignedCertificate.make(hosts: hosts)
    let context = try TLSContext.server(
        certificateChainPEM: certificatePEM,
        privateKeyPEM: keyPEM,
        applicationProtocols: applicationProtocols
    )
    return (context, certificatePEM)
}

/// Records what reaches the end of a TLS pipeline. Errors stop here, so `EmbeddedChannel` does not rethrow them.
final class EventRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    var plaintext = ByteBuffer()
    /// How many `channelRead`s delivered `plaintext`.
    var reads = 0
    var handshakes: [TLSHandshakeCompleted] = []
    var errors: [any Error] = []
    var becameInactive = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        self.reads += 1
        self.plaintext.writeBuffer(&buffer)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let handshake = event as? TLSHandshakeCompleted {
            self.handshakes.append(handshake)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.errors.append(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.becameInactive = true
        context.fireChannelInactive()
    }

    /// The plaintext received so far, as text.
    var text: String {
        String(buffer: self.plaintext)
    }
}

/// Counts the flushes that pass it on their way to the socket.
final class FlushCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var flushes = 0

    func flush(context: ChannelHandlerContext) {
        self.flushes += 1
        context.flush()
    }
}

/// The completion of a write promise, observed from the test's (the embedded loop's) thread.
final class WriteOutcome {
    private(set) var result: Result<Void, any Error>? = nil

    init(_ future: EventLoopFuture<Void>) {
        future.assumeIsolated().whenComplete { self.result = $0 }
    }

    var succeeded: Bool {
        if case .success = self.result { true } else { false }
    }

    var error: (any Error)? {
        if case .failure(let error) = self.result { error } else { nil }
    }
}

/// A server and a client `OpenSSLHandler`, each in its own `EmbeddedChannel`, joined by `interactInMemory`
/// (swift-nio-ssl's test pattern).
final class TLSPair {
    let server: EmbeddedChannel
    let client: EmbeddedChannel
    let serverEvents = EventRecorder()
    let clientEvents = EventRecorder()

    init(serverContext: TLSContext, clientContext: TLSContext, serverHostname: String? = nil) throws {
        self.server = EmbeddedChannel(handlers: [try OpenSSLHandler(context: serverContext), self.serverEvents])
        self.client = EmbeddedChannel(handlers: [
            try OpenSSLHandler(context: clientContext, serverHostname: serverHostname), self.clientEvents,
        ])
    }

    deinit {
        _ = try? self.server.finish(acceptAlreadyClosed: true)
        _ = try? self.client.finish(acceptAlreadyClosed: true)
    }

    /// Makes both channels active, which starts both handshakes. No sockets are involved.
    func connect() throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 5222)
        try self.server.connect(to: address).wait()
        try self.client.connect(to: address).wait()
    }

    /// Moves bytes between the two channels until neither has anything left to send. Bytes for a channel that has
    /// closed are dropped, as a socket would drop them.
    func interactInMemory() throws {
        var moved = true
        while moved {
            moved = false
            if let bytes = try self.client.readOutbound(as: ByteBuffer.self) {
                moved = true
                if self.server.isActive {
                    try self.server.writeInbound(bytes)
                }
            }
            if let bytes = try self.server.readOutbound(as: ByteBuffer.self) {
                moved = true
                if self.client.isActive {
                    try self.client.writeInbound(bytes)
                }
            }
        }
    }

    func handshake() throws {
        try self.connect()
        try self.interactInMemory()
    }
}
