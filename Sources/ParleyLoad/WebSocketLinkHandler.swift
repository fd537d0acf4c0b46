import NIOCore
import NIOWebSocket

/// The WebSocket transport (RFC 7395) once the HTTP upgrade is done: one XML element per text frame, `<open/>` and
/// `<close/>` (`urn:ietf:params:xml:ns:xmpp-framing`) instead of a stream header, client frames masked (RFC 6455
/// §5.3).
final class WebSocketLinkHandler: ChannelInboundHandler, ClientLink {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let client: LoadClient
    private let templates: StanzaTemplates
    private var framer = XMLFramer(rootDepth: 0)
    private var context: ChannelHandlerContext?
    private var reading = false
    private var flushPending = false
    private var sentClose = false
    private var reported = false

    init(client: LoadClient, templates: StanzaTemplates) {
        self.client = client
        self.templates = templates
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
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            self.reading = true
            var payload = frame.unmaskedData
            self.framer.append(&payload)
            let client = self.client
            var closed = false
            let valid = self.framer.process { event in
                guard case .element(let element) = event else { return .proceed }
                if element.isNamed("open") { return .proceed }
                if element.isNamed("close") {
                    closed = true
                    return .stop
                }
                return client.received(element)
            }
            if !valid { client.fail("protocol:not-well-formed") }
            if closed {
                self.sendCloseFrame(context: context)
                client.streamClosedByServer()
            }
        case .ping:
            var pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            pong.maskKey = .random()
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            self.sendCloseFrame(context: context)
            self.client.streamClosedByServer()
            context.close(promise: nil)
        default:
            break
        }
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

    private func sendCloseFrame(context: ChannelHandlerContext) {
        guard !self.sentClose else { return }
        self.sentClose = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
    }

    // MARK: - ClientLink

    func openStream(restart: Bool) {
        self.send(self.client.focus != nil ? self.templates.focusWebSocketOpen : self.templates.webSocketOpen)
    }

    func send(_ buffer: ByteBuffer) {
        guard let context = self.context else { return }
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        context.write(self.wrapOutboundOut(frame), promise: nil)
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
        throw ChannelError.inappropriateOperationForState
    }

    func closeStream() {
        self.send(self.templates.webSocketClose)
    }

    func abort() {
        guard let context = self.context else { return }
        self.sendCloseFrame(context: context)
        context.close(promise: nil)
    }
}
