import NIOCore
import NIOHTTP1

/// One HTTP/1.1 keep-alive connection of a BOSH session: it carries one request at a time and hands each
/// complete response body back to the session.
final class BOSHConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let session: BOSHSession
    private let host: String
    private let path: String
    private var context: ChannelHandlerContext?
    private var status: Int = 0
    private var body: ByteBuffer?
    /// Whether a request is waiting for its response.
    private(set) var busy = false
    private(set) var closed = false

    init(session: BOSHSession, host: String, path: String) {
        self.session = session
        self.host = host
        self.path = path
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            self.session.connectionReady(self)
        } else {
            self.closed = true
            self.session.connectionClosed(self, error: nil)
        }
    }

    /// Posts one `<body/>`.
    func post(_ body: ByteBuffer) {
        guard let context = self.context, !self.closed else { return }
        self.busy = true
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: self.host)
        headers.add(name: "Content-Type", value: "text/xml; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: self.path, headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = Int(head.status.code)
            self.body = nil
        case .body(var part):
            if self.body == nil {
                self.body = part
            } else {
                self.body?.writeBuffer(&part)
            }
        case .end:
            self.busy = false
            let body = self.body ?? ByteBuffer()
            self.body = nil
            self.session.responseReceived(self, status: self.status, body: body)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.closed {
            self.closed = true
            self.session.connectionClosed(self, error: nil)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.closed {
            self.closed = true
            self.session.connectionClosed(self, error: error)
        }
        context.close(promise: nil)
    }

    func close() {
        self.context?.close(promise: nil)
    }
}
