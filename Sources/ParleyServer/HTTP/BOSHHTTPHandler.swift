import NIOCore
import NIOHTTP1
import ParleyTransports

/// A web connection's handler after its first bytes turned out not to be a plain WebSocket handshake: answers plain
/// BOSH requests (`BOSHRequestHead`: `POST /http-bind`, XEP-0124 §4, XEP-0206) itself, one at a time and in order,
/// and hands the connection to NIO's HTTP pipeline at the first request it does not recognise (a CORS preflight,
/// health, metrics, an unusual head), which answers it and the rest as before. Loop-bound, like the pipeline it is
/// in; BOSH sessions answer from their own loop, and the answer hops here.
///
/// NIO's HTTP decoder, pipelining handler, encoder and header validator cost ~25,000 instructions a request, and a
/// BOSH login and join makes about eight (Docs/benchmark-details.md).
///
/// HTTP/1.1 pipelining (RFC 9112 §9.3.2): a request that arrives while one is with its session waits, with the
/// connection's reads held, until that one is answered; responses thus go out in request order. Reads are also held
/// while the channel is unwritable (`BackPressureGate`).
final class BOSHHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Adds NIO's HTTP pipeline and Parley's HTTP handler after this one.
    typealias InstallHTTP = (any Channel) throws -> Void

    private let web: WebContext
    private let installHTTP: InstallHTTP
    /// Bytes read and not yet taken by a request: a partial request, or requests pipelined behind one outstanding.
    private var buffered: ByteBuffer?
    /// A request is with its BOSH session, which has not answered yet.
    private var outstanding = false
    /// The connection ends once the outstanding response is written (`Connection: close`).
    private var closing = false
    /// A `read` held until the outstanding request is answered.
    private var readHeld = false
    /// `takeRequests` is running (an answer given at once comes back into it).
    private var taking = false
    private var gate = BackPressureGate()
    /// Set while the handler is in the pipeline; nil once it has left it or the connection is gone.
    private var context: ChannelHandlerContext?

    init(web: WebContext, installHTTP: @escaping InstallHTTP) {
        self.web = web
        self.installHTTP = installHTTP
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.buffered = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        if self.closing { return }
        if self.buffered == nil {
            self.buffered = input
        } else {
            self.buffered?.writeBuffer(&input)
        }
        if !self.outstanding { self.takeRequests(context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        self.buffered = nil
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if self.mustWait {
            self.readHeld = true
        } else {
            self.gate.read(context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !self.mustWait { self.gate.writabilityChanged(context: context) }
        context.fireChannelWritabilityChanged()
    }

    /// Pipelined bytes wait behind an outstanding request.
    private var mustWait: Bool { self.outstanding && (self.buffered?.readableBytes ?? 0) > 0 }

    /// Starts the complete requests in the buffer in turn, each once the one before it is answered, or hands the
    /// connection to NIO's pipeline at one this handler does not recognise. A loop, not a recursion through
    /// `answered`: a session that answers at once (a malformed body) must not nest a call per pipelined request.
    private func takeRequests(context: ChannelHandlerContext) {
        guard !self.taking else { return }
        self.taking = true
        defer { self.taking = false }
        let maxBody = self.web.maxBodyBytes
        while !self.outstanding, !self.closing, self.context != nil {
            guard var bytes = self.buffered, bytes.readableBytes > 0 else {
                self.buffered = nil
                return
            }
            switch bytes.withUnsafeReadableBytes({ BOSHRequestHead.read($0, maxBodyBytes: maxBody) }) {
            case .needMore:
                return
            case .notRecognized:
                return self.handOverToHTTP(context: context)
            case .request(let head, let headLength):
                guard bytes.readableBytes >= headLength + head.contentLength else { return }
                bytes.moveReaderIndex(forwardBy: headLength)
                guard let body = bytes.readSlice(length: head.contentLength) else { return }
                self.buffered = bytes.readableBytes > 0 ? bytes : nil
                self.outstanding = true
                self.closing = !head.keepAlive
                self.post(head, body: body, context: context)
            }
        }
    }

    private func post(_ head: BOSHRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let channel = context.channel
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let closes = !head.keepAlive
        let isHTTP10 = head.isHTTP10
        self.web.postBOSH(
            body: body,
            tooLarge: false,
            query: HTTPQuery(uri: head.target),
            origin: head.origin,
            channel: channel
        ) { status, contentType, bytes, extra in
            let response = BOSHHTTPHandler.response(
                status: status,
                contentType: contentType,
                body: bytes,
                extra: extra,
                isHTTP10: isHTTP10,
                closes: closes,
                allocator: channel.allocator
            )
            if channel.eventLoop.inEventLoop {
                handler.value.answered(response)
            } else {
                channel.eventLoop.execute { handler.value.answered(response) }
            }
        }
    }

    /// The outstanding request's response: written, then the next request.
    private func answered(_ response: ByteBuffer) {
        guard let context = self.context, self.outstanding else { return }
        self.outstanding = false
        if self.closing {
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(response)).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        context.writeAndFlush(self.wrapOutboundOut(response), promise: nil)
        self.takeRequests(context: context)
        if self.readHeld, !self.mustWait, self.context != nil {
            self.readHeld = false
            self.gate.read(context: context)
        }
    }

    /// NIO's pipeline takes the connection from this request on.
    private func handOverToHTTP(context: ChannelHandlerContext) {
        let bytes = self.buffered
        self.buffered = nil
        do {
            try self.installHTTP(context.channel)
        } catch {
            return context.fireErrorCaught(error)
        }
        if let bytes, bytes.readableBytes > 0 { context.fireChannelRead(self.wrapInboundOut(bytes)) }
        if self.readHeld {
            self.readHeld = false
            context.read()
        }
        self.gate.release(context: context)
        self.context = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// The whole response, as NIO's encoder writes it for `HTTPHandler` (RFC 9112 §4, §6.2).
    static func response(
        status: HTTPResponseStatus,
        contentType: String,
        body: [UInt8],
        extra: HTTPHeaders,
        isHTTP10: Bool,
        closes: Bool,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 160 + body.count)
        buffer.writeStaticString(isHTTP10 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\nContent-Type: ")
        buffer.writeString(contentType)
        buffer.writeStaticString("\r\nContent-Length: ")
        buffer.writeString(String(body.count))
        buffer.writeStaticString("\r\nCache-Control: no-store\r\n")
        for (name, value) in extra {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        if closes { buffer.writeStaticString("Connection: close\r\n") }
        buffer.writeStaticString("\r\n")
        buffer.writeBytes(body)
        return buffer
    }
}

@available(*, unavailable)
extension BOSHHTTPHandler: Sendable {}
