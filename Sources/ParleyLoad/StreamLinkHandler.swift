import NIOCore
import ParleyTLS

/// The TCP transport (RFC 6120): one XML stream per connection, STARTTLS by inserting an `OpenSSLHandler` in
/// front of this handler.
///
/// Replies written while a read is being handled are flushed once, when the read completes, so that a burst of
/// presences and the client's answer cost one `write` between them.
final class StreamLinkHandler: ChannelInboundHandler, ClientLink {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let client: LoadClient
    private let templates: StanzaTemplates
    private let tls: TLSContext?
    private let serverName: String
    private var framer: XMLFramer
    private var context: ChannelHandlerContext?
    private var reading = false
    private var flushPending = false
    private var reported = false

    init(client: LoadClient, templates: StanzaTemplates, tls: TLSContext?, serverName: String) {
        self.client = client
        self.templates = templates
        self.tls = tls
        self.serverName = serverName
        self.framer = XMLFramer(rootDepth: 1)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            self.client.linkUp(self)
        } else {
            self.reportClosed(error: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.reading = true
        self.framer.append(&bytes)
        let client = self.client
        let valid = self.framer.process { event in
            switch event {
            case .streamOpened:
                return .proceed
            case .element(let element):
                return client.received(element)
            case .streamClosed:
                client.streamClosedByServer()
                return .stop
            }
        }
        if !valid { client.fail("protocol:not-well-formed") }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.reading = false
        if self.flushPending {
            self.flushPending = false
            context.flush()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.reportClosed(error: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.reportClosed(error: error)
        context.close(promise: nil)
    }

    private func reportClosed(error: (any Error)?) {
        guard !self.reported else { return }
        self.reported = true
        self.client.linkClosed(error: error)
    }

    // MARK: - ClientLink

    func openStream(restart: Bool) {
        self.send(self.client.focus != nil ? self.templates.focusStreamOpen : self.templates.streamOpen)
    }

    func send(_ buffer: ByteBuffer) {
        guard let context = self.context else { return }
        context.write(self.wrapOutboundOut(buffer), promise: nil)
        if self.reading {
            self.flushPending = true
        } else {
            context.flush()
        }
    }

    func makeBuffer(capacity: Int) -> ByteBuffer {
        self.context?.channel.allocator.buffer(capacity: capacity) ?? ByteBuffer()
    }

    func startTLS() throws {
        guard let context = self.context, let tls = self.tls else { throw ChannelError.inappropriateOperationForState }
        // The framer restarts with the stream; what arrives from now on is decrypted by the handler in front.
        let handler = try OpenSSLHandler(context: tls, serverHostname: self.serverName)
        try context.pipeline.syncOperations.addHandler(handler, position: .first)
    }

    func closeStream() {
        self.send(self.templates.streamClose)
    }

    func abort() {
        self.context?.close(promise: nil)
    }
}
