import NIOCore
import NIOHTTP1
import ParleyCore

/// The control API's HTTP/1.1 front, on its own loopback listener: JSON requests and answers under `/control`, and
/// the event stream at `GET /control/events` (Server-Sent Events, WHATWG HTML §9.2). With a token configured,
/// every request must carry `Authorization: Bearer <token>` (RFC 6750 §2.1), or gets 401.
final class ControlHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The largest request body taken (a fault rule, an account).
    static let maxBodyBytes = 64 * 1024

    private let service: ControlService
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    /// The connection carries an event stream: nothing more is read from it.
    private var streaming = false

    init(service: ControlService) {
        self.service = service
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.streaming else { return }
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
            self.tooLarge = false
        case .body(let chunk):
            guard !self.tooLarge else { return }
            if self.body.count + chunk.readableBytes > Self.maxBodyBytes {
                self.tooLarge = true
                self.body = []
                return
            }
            self.body += chunk.readableBytesView
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.handle(head, context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let channel = context.channel
        let keepAlive = head.isKeepAlive
        let version = head.version
        let answer = { @Sendable (response: ControlResponse) in
            Self.write(response, version: version, keepAlive: keepAlive, channel: channel)
        }
        guard self.authorized(head) else {
            return answer(.error(.unauthorized, "a bearer token is required (Authorization: Bearer <token>)"))
        }
        if self.tooLarge { return answer(.error(.payloadTooLarge, "the body is over 64 KiB")) }
        guard let request = ControlRequest(method: head.method, uri: head.uri, body: self.body) else {
            return answer(.error(.notFound, "the control API is under /control"))
        }
        self.body = []
        if request.method == .GET, request.segments == ["events"] {
            return self.stream(request, version: version, context: context)
        }
        self.service.respond(to: request).whenComplete { result in
            switch result {
            case .success(let response): answer(response)
            case .failure(let error): answer(.error(.internalServerError, "\(error)"))
            }
        }
    }

    /// RFC 6750 §2.1, compared in constant time.
    private func authorized(_ head: HTTPRequestHead) -> Bool {
        guard let token = self.service.token else { return true }
        guard let header = head.headers.first(name: "Authorization"), header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst("Bearer ".count).utf8)
        let expected = Array(token.utf8)
        var difference = given.count ^ expected.count
        for index in expected.indices { difference |= Int(expected[index] ^ (index < given.count ? given[index] : 0)) }
        return difference == 0
    }

    /// `GET /control/events`: the response head, then each event as it happens. The comment `: subscribed` comes
    /// first, once every event loop has the subscription: what the server does after it is reported.
    private func stream(_ request: ControlRequest, version: HTTPVersion, context: ChannelHandlerContext) {
        let channel = context.channel
        let filter: ControlEventFilter
        do {
            filter = try ControlEventFilter(query: request.query)
        } catch {
            return Self.write(.error(.badRequest, error.message), version: version, keepAlive: false, channel: channel)
        }
        self.streaming = true
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Connection", value: "close")
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))),
            promise: nil
        )
        context.flush()
        self.service.hub.subscribe(filter, channel: channel).whenSuccess { _ in
            let buffer = channel.allocator.buffer(string: ": subscribed\n\n")
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    /// Writes a whole JSON answer; thread-safe.
    static func write(_ response: ControlResponse, version: HTTPVersion, keepAlive: Bool, channel: any Channel) {
        let body = Array((JSONValue.text(response.body) + "\n").utf8)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        if response.status == .unauthorized {
            headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"parley-control\"")
        }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        channel.write(
            HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: response.status, headers: headers)),
            promise: nil
        )
        channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension ControlHTTPHandler: Sendable {}
