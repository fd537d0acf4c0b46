import NIOCore
import NIOHTTP1
import ParleyCore
import ParleyTransports

/// Plain HTTP on the web listener (port 5280 behind nginx): BOSH at `/http-bind` (XEP-0124/0206),
/// the keep-alive answer at `/xmpp-websocket` (Jitsi fetches it every minute), and the operator endpoints
/// (`OperatorEndpoints`: health, readiness, metrics, occupancy). WebSocket upgrades are taken by NIO's upgrader
/// before requests reach this handler. Answers on `/http-bind`, `/xmpp-websocket` and the health paths carry the
/// shard identity headers (`ShardIdentity`).
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let web: WebContext
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false

    init(web: WebContext) {
        self.web = web
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = nil
            self.tooLarge = false
        case .body(var chunk):
            guard !self.tooLarge else { return }
            if (self.body?.readableBytes ?? 0) + chunk.readableBytes > self.web.maxBodyBytes {
                self.tooLarge = true
                self.body = nil
                return
            }
            if self.body == nil {
                self.body = chunk
            } else {
                self.body?.writeBuffer(&chunk)
            }
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.respond(to: head, body: self.body, context: context)
            self.body = nil
        }
    }

    private func respond(to head: HTTPRequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
        let query = HTTPQuery(uri: head.uri)
        let origin = head.headers.first(name: "Origin")
        let shard = self.web.operators.identity.headers
        if let answer = self.web.operators.respond(
            method: head.method,
            query: query,
            body: body,
            peer: context.channel.remoteAddress?.ipAddress,
            on: context.eventLoop
        ) {
            let channel = context.channel
            let version = head.version
            let keepAlive = head.isKeepAlive
            let isHead = head.method == .HEAD
            let extra = query.path == "/health" || query.path == "/ready" ? shard : [:]
            answer.whenComplete { result in
                let response: OperatorResponse
                switch result {
                case .success(let value): response = value
                case .failure: response = .text(.internalServerError, "Internal error\n")
                }
                HTTPHandler.write(
                    status: response.status,
                    body: isHead ? [] : response.body,
                    contentType: response.contentType,
                    extra: extra,
                    version: version,
                    keepAlive: keepAlive,
                    channel: channel
                )
            }
            return
        }
        switch (head.method, query.path) {
        case (.GET, "/xmpp-websocket"), (.HEAD, "/xmpp-websocket"):
            if let refusal = self.web.roomRefusal(query) {
                return self.send(.forbidden, (refusal.text ?? "room name refused") + "\n", head: head, context: context)
            }
            if head.headers.contains(name: "Upgrade") {
                // The upgrader declined: RFC 7395 §3.1 requires the `xmpp` subprotocol.
                return self.send(
                    .badRequest,
                    "WebSocket connections need the 'xmpp' subprotocol (RFC 7395)\n",
                    head: head,
                    context: context
                )
            }
            self.send(
                .ok,
                "It works! Point your XMPP WebSocket client to this URL.\n",
                head: head,
                context: context,
                extra: shard
            )
        case (.OPTIONS, "/http-bind"):
            self.send(
                .ok,
                "",
                head: head,
                context: context,
                extra: self.web.corsHeaders(origin: origin, preflight: true).adding(shard)
            )
        case (.GET, "/http-bind"):
            self.send(
                .ok,
                "It works! Point your BOSH client to this URL.\n",
                head: head,
                context: context,
                extra: shard
            )
        case (.POST, "/http-bind"):
            let channel = context.channel
            let keepAlive = head.isKeepAlive
            let version = head.version
            self.web.postBOSH(body: body, tooLarge: self.tooLarge, query: query, origin: origin, channel: channel) {
                status,
                contentType,
                bytes,
                extra in
                HTTPHandler.write(
                    status: status,
                    body: bytes,
                    contentType: contentType,
                    extra: extra,
                    version: version,
                    keepAlive: keepAlive,
                    channel: channel
                )
            }
        default:
            self.send(.notFound, "Not found\n", head: head, context: context)
        }
    }

    private func send(
        _ status: HTTPResponseStatus,
        _ text: String,
        head: HTTPRequestHead,
        context: ChannelHandlerContext,
        extra: HTTPHeaders = [:]
    ) {
        HTTPHandler.write(
            status: status,
            body: Array(text.utf8),
            contentType: WebContext.plainText,
            extra: extra,
            version: head.version,
            keepAlive: head.isKeepAlive,
            channel: context.channel
        )
    }

    /// Writes a whole response; thread-safe (BOSH answers come from the session's loop).
    static func write(
        status: HTTPResponseStatus,
        body: [UInt8],
        contentType: String,
        extra: HTTPHeaders,
        version: HTTPVersion,
        keepAlive: Bool,
        channel: any Channel
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(contentsOf: extra)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: status, headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension HTTPHandler: Sendable {}

extension HTTPHeaders {
    fileprivate func adding(_ other: HTTPHeaders) -> HTTPHeaders {
        var headers = self
        headers.add(contentsOf: other)
        return headers
    }
}
