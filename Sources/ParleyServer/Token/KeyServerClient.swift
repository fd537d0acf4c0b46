import NIOCore
import NIOHTTP1
import NIOPosix
import ParleyTLS

/// One HTTP/1.1 GET of a public key from the key server, on an event loop, never blocking it: the answer (the
/// body of a 200, at most 64 KiB) or an error, within `timeout` in all (connect, TLS, request, response).
/// `https` checks the server's certificate and name against the system's trust store.
enum KeyServerClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let maximumBodyBytes = 64 * 1024

    static func fetch(
        _ server: KeyServer,
        path: String,
        on eventLoop: any EventLoop,
        timeout: TimeAmount,
        tls: TLSContext?
    ) -> EventLoopFuture<String> {
        let promise = eventLoop.makePromise(of: String.self)
        if server.scheme == "https" && tls == nil {
            promise.fail(Failure(description: "no TLS client context"))
            return promise.futureResult
        }
        let deadline = eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "no answer within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        let host = server.host
        let hostHeader = server.port == (server.scheme == "https" ? 443 : 80) ? host : "\(host):\(server.port)"
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if server.scheme == "https", let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            OpenSSLHandler(context: tls, serverHostname: host)
                        )
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        KeyRequestHandler(path: path, host: hostHeader, promise: promise)
                    )
                }
            }
        bootstrap.connect(host: host, port: server.port).whenComplete { result in
            switch result {
            case .success(let channel):
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
            case .failure(let error):
                promise.fail(error)
            }
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        return promise.futureResult
    }
}

/// Sends the GET once the connection is up and gathers the answer.
private final class KeyRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let path: String
    private let host: String
    private let promise: EventLoopPromise<String>
    private var status: HTTPResponseStatus?
    private var body: [UInt8] = []

    init(path: String, host: String, promise: EventLoopPromise<String>) {
        self.path = path
        self.host = host
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: self.path)
        head.headers.add(name: "Host", value: self.host)
        head.headers.add(name: "Accept", value: "application/x-pem-file, text/plain")
        head.headers.add(name: "Connection", value: "close")
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = head.status
        case .body(var buffer):
            guard self.body.count + buffer.readableBytes <= KeyServerClient.maximumBodyBytes else {
                self.promise.fail(KeyServerClient.Failure(description: "the key is larger than 64 KiB"))
                context.close(promise: nil)
                return
            }
            self.body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            if self.status == .ok {
                self.promise.succeed(String(decoding: self.body, as: UTF8.self))
            } else {
                self.promise.fail(KeyServerClient.Failure(description: "HTTP \(self.status?.code ?? 0)"))
            }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(KeyServerClient.Failure(description: "the connection closed before the answer"))
        context.fireChannelInactive()
    }
}
